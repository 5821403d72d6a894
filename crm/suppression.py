"""The organization's suppression list: addresses that never get a campaign email again.

An erased lead's address (*Forget this lead*) stays on the list only as a keyed hash
(HMAC-SHA256 under SECRET_KEY): the ICO asks for a suppression list rather than deletion,
and the CNIL for hashed opposition data (docs/compliance.md). A hash cannot be matched in
an SQL filter, so the places a lead comes in (the import, the API, the admin) and the
claim of every message check addresses against it (`is_suppressed`, `forgotten_among`).
"""

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from crm.models import Organization, SuppressedAddress

HASH_SALT = "crm.suppression.address"


def normalized(email: str) -> str:
    """Trimmed and lower-cased: how every address is compared (Gmail's dots and +tags
    are kept: another provider may treat them as other mailboxes)."""
    return email.strip().lower()


def address_hashes(email: str) -> list[str]:
    """The address's hash under the current SECRET_KEY and each of SECRET_KEY_FALLBACKS,
    the current first: a rotated key still recognises what was hashed before."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    value = normalized(email)
    return [
        salted_hmac(HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()
        for secret in secrets
    ]


# The model's own field: its validators are the address syntax and its 254 characters.
EMAIL_FIELD = SuppressedAddress._meta.get_field("email")


def suppress(
    *, organization: Organization | uuid.UUID, email: str, reason: str, detail: str = ""
) -> bool:
    """Add an address (any case); True when it was not on the list yet."""
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    _, created = SuppressedAddress.objects.get_or_create(
        organization_id=organization_id,
        email=normalized(email),
        defaults={"reason": reason, "detail": detail[:500]},
    )
    return created


def opted_out_leads() -> Q:
    """A filter for leads who opted out themselves (the lead's unsubscribe)."""
    return Q(unsubscribed_at__isnull=False)


def listed_leads() -> Q:
    """A filter for leads whose address is on their organization's suppression list. It
    names the condition of the unique (organization, email) index, so that the index is
    searched for each lead (a launch asks for every lead of its audience): without it each
    lead read the agency's whole list, 28 s for 111,000 leads against 2,000 addresses."""
    listed = SuppressedAddress.objects.filter(
        organization=OuterRef("organization"), email=Lower(OuterRef("email"))
    ).exclude(email="")
    return Q(Exists(listed))


def suppressed_leads() -> Q:
    """A filter for leads that must not be emailed: opted out, or their address is listed."""
    return opted_out_leads() | listed_leads()


def is_suppressed(organization_id: uuid.UUID, email: str) -> bool:
    """The address is listed, as itself or as an erased lead's hash."""
    return SuppressedAddress.objects.filter(
        Q(email=normalized(email)) | Q(email_hash__in=address_hashes(email)),
        organization_id=organization_id,
    ).exists()


def forgotten_among(organization_id: uuid.UUID, emails: Iterable[str]) -> set[str]:
    """Those of `emails` (as given) that belong to leads erased at their request. The
    agency's erased hashes are few: read once, and nothing is hashed when there are none."""
    erased = set(
        SuppressedAddress.objects.filter(organization_id=organization_id)
        .exclude(email_hash="")
        .values_list("email_hash", flat=True)
    )
    if not erased:
        return set()
    return {email for email in emails if erased.intersection(address_hashes(email))}


def forget_address(*, organization: Organization | uuid.UUID, email: str) -> None:
    """Keep the address on the list as a hash only: its plain entries are removed."""
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    current = address_hashes(email)[0]
    with transaction.atomic():
        SuppressedAddress.objects.filter(
            organization_id=organization_id, email=normalized(email)
        ).delete()
        SuppressedAddress.objects.get_or_create(
            organization_id=organization_id,
            email_hash=current,
            defaults={"reason": SuppressedAddress.Reason.FORGOTTEN},
        )
