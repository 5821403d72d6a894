"""Per-recipient unsubscribe links: an opaque signed token naming the lead, never an address.

The token has no expiry (opt-out links must keep working for at least 30 days) and does
not depend on the campaign, so it works after the campaign is deleted.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from crm.models import Lead, SuppressedAddress
from crm.suppression import suppress

SALT = "campaigns.unsubscribe"


def token_for(lead: Lead) -> str:
    # Deterministic (no timestamp), so the previewed message is byte for byte the sent one.
    return signing.Signer(salt=SALT).sign(lead.pk.hex)


def url_for(lead: Lead) -> str:
    return settings.PUBLIC_BASE_URL + reverse("unsubscribe", args=[token_for(lead)])


def lead_for(token: str) -> Lead | None:
    try:
        lead_id = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Lead.objects.select_related("organization").filter(pk=lead_id).first()


def unsubscribe(lead: Lead) -> bool:
    """Mark the lead unsubscribed and stop their sequences; True the first time."""
    from campaigns import sequences
    from campaigns.models import Enrollment

    first = Lead.objects.filter(pk=lead.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    sequences.stop(Enrollment.objects.filter(lead=lead), sequences.STOPPED_UNSUBSCRIBED)
    suppress(
        organization=lead.organization_id,
        email=lead.email,
        reason=SuppressedAddress.Reason.UNSUBSCRIBED,
        detail="unsubscribe link",
    )
    return bool(first)
