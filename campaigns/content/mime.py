"""The one message builder: a rendered message becomes RFC 5322 bytes and Gmail's `raw`.

Written by hand rather than with email.message, which is several times slower; the tests
parse every built message back with Python's `email` parser.
"""

import base64
import binascii
import html
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns.content.rendering import Rendered
from crm.email_addresses import AddressError, ascii_address

CRLF = "\r\n"
# What the footer and the test marker say, in the message's language (email_locale).
UNSUBSCRIBE = pgettext_lazy("email footer link", "Unsubscribe")
UNSUBSCRIBE_AT = _("Unsubscribe: %(url)s")
WHY = _("You receive this email because you are in touch with %(agency)s.")
TEST_MARKER = _("[Test] %(subject)s")


@dataclass(frozen=True)
class Addressing:
    sender_name: str
    sender_email: str
    to_email: str
    to_name: str = ""
    reply_to: str = ""
    unsubscribe_url: str = ""
    # Offered beside the URL only where someone reads what arrives there (the account's
    # reply detection): RFC 8058 needs just the HTTPS URL.
    unsubscribe_mailto: bool = False
    postal_address: str = ""
    agency: str = ""  # the agency's name, for the footer's "why you get this"
    in_reply_to: str = ""  # Message-ID of the message this one follows up
    is_test: bool = False


def new_message_id(sender_email: str) -> str:
    """A fresh Message-ID on the sender's domain (in its ASCII form)."""
    try:
        domain = ascii_address(sender_email).rpartition("@")[2]
    except AddressError:
        domain = "localhost"  # the message itself fails when built, with the reason
    return f"<{secrets.token_hex(12)}@{domain}>"


def _header(name: str, value: str) -> str:
    if value.isascii() and len(name) + len(value) < 76:
        return f"{name}: {value}"
    charset = "us-ascii" if value.isascii() else "utf-8"
    folded = Header(value, charset, header_name=name).encode(linesep=CRLF)
    return f"{name}: {folded}"


def _address(name: str, email: str) -> str:
    # formataddr quotes specials and encodes non-ASCII names (RFC 2047); an international
    # domain goes in its IDNA form (AddressError when it has none).
    return formataddr((" ".join(name.split()), ascii_address(email)), charset="utf-8")


def _qp(text: str) -> str:
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(body.encode("utf-8"), istext=True).decode("ascii")
    # Soft line breaks follow the input's line ending: make every break CRLF.
    return encoded.replace("\n", CRLF)


def why_line(agency: str) -> str:
    """Why the lead gets the email, in the active language; "" without the agency's name."""
    return str(WHY) % {"agency": agency} if agency.strip() else ""


def with_footer(
    rendered: Rendered, *, postal_address: str, unsubscribe_url: str, agency: str = ""
) -> Rendered:
    """Add the postal address, and why the lead gets the email with the unsubscribe link,
    when the template left them out; in the active language (email_locale.writing).

    Idempotent: a message that already carries both comes back unchanged.
    """
    html_parts, text_parts = [], []
    address = postal_address.strip()
    url = unsubscribe_url
    if address and address not in rendered.text:
        html_parts.append(html.escape(address).replace("\n", "<br>"))
        text_parts.append(address)
    if url and url not in rendered.html:
        if why := why_line(agency):
            html_parts.append(html.escape(why))
            text_parts.append(why)
        html_parts.append(f'<a href="{html.escape(url)}">{html.escape(str(UNSUBSCRIBE))}</a>')
        text_parts.append(str(UNSUBSCRIBE_AT) % {"url": url})
    if not html_parts:
        return rendered
    footer_html = (
        '<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 8px">'
        '<p style="color:#777;font-size:12px">' + "<br>".join(html_parts) + "</p>"
    )
    text = rendered.text.rstrip("\n") + "\n\n-- \n" + "\n".join(text_parts) + "\n"
    return Rendered(subject=rendered.subject, html=rendered.html + footer_html, text=text)


def build(
    rendered: Rendered,
    addressing: Addressing,
    *,
    message_id: str | None = None,
    date: datetime | None = None,
) -> bytes:
    """RFC 5322 bytes: text and HTML alternatives, List-Unsubscribe per RFC 8058 (the
    HTTPS URL, and a mailto: only when `unsubscribe_mailto`). What we write into it (footer,
    test marker) is in the active language (email_locale.writing). Raises AddressError when
    an address has no form a message can carry."""
    rendered = with_footer(
        rendered,
        postal_address=addressing.postal_address,
        unsubscribe_url=addressing.unsubscribe_url,
        agency=addressing.agency,
    )
    subject = rendered.subject
    if addressing.is_test:
        subject = str(TEST_MARKER) % {"subject": subject}
    message_id = message_id or new_message_id(addressing.sender_email)
    boundary = "==alt_" + secrets.token_hex(12)
    headers = [
        _header("From", _address(addressing.sender_name, addressing.sender_email)),
        _header("To", _address(addressing.to_name, addressing.to_email)),
    ]
    if addressing.reply_to:
        headers.append(_header("Reply-To", ascii_address(addressing.reply_to)))
    headers += [
        _header("Subject", subject),
        f"Date: {format_datetime(date or timezone.now())}",
        f"Message-ID: {message_id}",
    ]
    if addressing.in_reply_to:
        headers += [
            f"In-Reply-To: {addressing.in_reply_to}",
            f"References: {addressing.in_reply_to}",
        ]
    if addressing.unsubscribe_url:
        offered = f"<{addressing.unsubscribe_url}>"
        if addressing.unsubscribe_mailto:
            mailto = f"mailto:{ascii_address(addressing.sender_email)}?subject=unsubscribe"
            # Folded after the comma: each URL on its own line keeps lines short.
            offered += f",{CRLF} <{mailto}>"
        headers += [
            f"List-Unsubscribe: {offered}",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        ]
    if addressing.is_test:
        headers.append("X-Campaign-Test: yes")
    headers += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    parts = []
    for subtype, body in (("plain", rendered.text), ("html", rendered.html)):
        parts.append(
            f"--{boundary}{CRLF}"
            f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
            f"{_qp(body)}{CRLF}"
        )
    message = CRLF.join(headers) + CRLF + CRLF + "".join(parts) + f"--{boundary}--{CRLF}"
    return message.encode("ascii")


def gmail_raw(message: bytes) -> str:
    """The base64url form that users.messages.send takes in its `raw` field."""
    return base64.urlsafe_b64encode(message).decode("ascii")
