"""The organization's suppression list: addresses that never get a campaign email again."""

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower

from crm.models import Organization, SuppressedAddress


def suppress(
    *, organization: Organization | str, email: str, reason: str, detail: str = ""
) -> bool:
    """Add an address (any case); True when it was not on the list yet."""
    organization_id = getattr(organization, "pk", organization)
    _, created = SuppressedAddress.objects.get_or_create(
        organization_id=organization_id,
        email=email.strip().lower(),
        defaults={"reason": reason, "detail": detail[:500]},
    )
    return created


def suppressed_leads() -> Q:
    """A filter for leads that must not be emailed: opted out, or their address is listed."""
    listed = SuppressedAddress.objects.filter(
        organization=OuterRef("organization"), email=Lower(OuterRef("email"))
    )
    return Q(unsubscribed_at__isnull=False) | Q(Exists(listed))


def is_suppressed(organization_id: object, email: str) -> bool:
    return SuppressedAddress.objects.filter(
        organization_id=organization_id, email=email.strip().lower()
    ).exists()
