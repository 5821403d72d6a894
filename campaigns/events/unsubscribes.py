"""Unsubscribing a lead: from the link of campaigns/outbox/unsubscribe_links.py, the lead is
marked, their sequences stop, the address is suppressed, and the unsubscribe is counted
against the last message they were sent."""

import datetime

from django.utils import timezone

from campaigns.models import STOPPED_UNSUBSCRIBED, Enrollment, MessageLog
from crm.models import Lead, SuppressedAddress
from crm.suppression import suppress


def unsubscribe(lead: Lead) -> bool:
    """Mark the lead unsubscribed and stop their sequences; True the first time."""
    now = timezone.now()
    first = Lead.objects.filter(pk=lead.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )
    if first:
        _attribute(lead, now)
    Enrollment.objects.filter(lead=lead).stop(STOPPED_UNSUBSCRIBED)
    suppress(
        organization=lead.organization_id,
        email=lead.email,
        reason=SuppressedAddress.Reason.UNSUBSCRIBED,
        detail="unsubscribe link",
    )
    return bool(first)


def _attribute(lead: Lead, now: datetime.datetime) -> None:
    """The link names the lead, not the message: the unsubscribe is counted against the
    latest message they were sent, as the campaign that made them leave."""
    latest = (
        MessageLog.objects.filter(lead=lead, is_test=False, sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("pk", flat=True)[:1]
    )
    MessageLog.objects.filter(pk__in=list(latest), unsubscribed_at__isnull=True).update(
        unsubscribed_at=now, status=MessageLog.Status.UNSUBSCRIBED, updated_at=now
    )
