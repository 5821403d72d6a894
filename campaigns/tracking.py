"""What happens after sending: bounces (and, as they land, opens, clicks and replies)."""

from django.utils import timezone

from campaigns import sequences
from campaigns.models import Enrollment, MessageLog
from crm.models import SuppressedAddress
from crm.suppression import suppress

STOPPED_BOUNCED = "a message bounced"


def record_bounce(message: MessageLog, reason: str) -> bool:
    """A hard bounce: the message is marked, the address suppressed for the organization
    (re-importing the lead does not resubscribe it), and the lead's sequences stop."""
    now = timezone.now()
    changed = MessageLog.objects.filter(pk=message.pk, bounced_at__isnull=True).update(
        status=MessageLog.Status.BOUNCED,
        bounced_at=now,
        error_message=reason[:2000],
        updated_at=now,
    )
    suppress(
        organization=message.organization_id,
        email=message.to_email,
        reason=SuppressedAddress.Reason.BOUNCED,
        detail=reason,
    )
    sequences.stop(Enrollment.objects.filter(lead=message.lead_id), STOPPED_BOUNCED)
    return bool(changed)
