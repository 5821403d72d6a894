"""The organization's suppression list: addresses that never get a campaign email again."""

import uuid

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower

from crm.models import Organization, SuppressedAddress

# The model's own field: its validators are the address syntax and its 254 characters.
EMAIL_FIELD = SuppressedAddress._meta.get_field("email")


def suppress(
    *, organization: Organization | uuid.UUID, email: str, reason: str, detail: str = ""
) -> bool:
    """Add an address (any case); True when it was not on the list yet."""
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    _, created = SuppressedAddress.objects.get_or_create(
        organization_id=organization_id,
        email=email.strip().lower(),
        defaults={"reason": reason, "detail": detail[:500]},
    )
    return created


def opted_out_leads() -> Q:
    """A filter for leads who opted out themselves (the lead's unsubscribe)."""
    return Q(unsubscribed_at__isnull=False)


def listed_leads() -> Q:
    """A filter for leads whose address is on their organization's suppression list."""
    listed = SuppressedAddress.objects.filter(
        organization=OuterRef("organization"), email=Lower(OuterRef("email"))
    )
    return Q(Exists(listed))


def suppressed_leads() -> Q:
    """A filter for leads that must not be emailed: opted out, or their address is listed."""
    return opted_out_leads() | listed_leads()


def is_suppressed(organization_id: uuid.UUID, email: str) -> bool:
    return SuppressedAddress.objects.filter(
        organization_id=organization_id, email=email.strip().lower()
    ).exists()
