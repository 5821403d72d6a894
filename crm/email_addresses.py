"""Addresses as a message carries them: an internationalised domain (`idn@bücher.example`,
which Django's EmailField accepts) is written in IDNA's ASCII form (`xn--bcher-kva.example`)
on the wire, as RFC 5890 asks; an address that has no such form is refused where it is typed
(the lead form, the import), with the reason, rather than failing when it is sent."""

import idna
from django.core.exceptions import ValidationError

NOT_ASCII_LOCAL_PART = "the part before the @ must be plain ASCII"
NOT_IDNA = "the domain {domain} cannot be written for email (IDNA): {reason}"
NOT_SENDABLE = "“{value}” cannot be sent to: {reason}"


class AddressError(ValueError):
    """The address cannot be written in a message's headers; the text says why."""


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA's ASCII form; unchanged when already ASCII."""
    if address.isascii():
        return address
    local, at, domain = address.rpartition("@")
    if not at or not local.isascii():
        raise AddressError(NOT_ASCII_LOCAL_PART)
    try:
        # UTS 46 maps what users type (capitals, full-width dots) as browsers do.
        encoded = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise AddressError(NOT_IDNA.format(domain=domain, reason=error)) from None
    return f"{local}@{encoded}"


def validate_sendable(value: str) -> None:
    """A field validator: the address can be written in a message (see ascii_address)."""
    try:
        ascii_address(value)
    except AddressError as error:
        raise ValidationError(
            NOT_SENDABLE.format(value=value, reason=error), code="not_sendable"
        ) from None
