"""Unsubscribing a lead, by any channel: the link of campaigns/outbox/unsubscribe_links.py
(its page, or one click in the mail app), or a reply that asks for it (replies.py). The
lead is marked, their sequences stop, the address is suppressed with how they asked, and
the unsubscribe is counted against the message they answered or the last one they were
sent. A narrower choice on the preference page (one campaign, or one kind) is an OptOut."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.audiences import preferences
from campaigns.models import (
    STOPPED_SKIPPED,
    STOPPED_UNSUBSCRIBED,
    Campaign,
    Enrollment,
    MessageLog,
    OptOut,
)
from crm.models import Lead, SuppressedAddress
from crm.suppression import suppress

BY_LINK = "unsubscribe page"
BY_ONE_CLICK = "one click in their mail app (List-Unsubscribe)"
BY_REPLY = "by email: “{words}”"


def unsubscribe(lead: Lead, *, how: str = BY_LINK, message: MessageLog | None = None) -> bool:
    """Mark the lead unsubscribed and stop their sequences; True the first time. `message`
    is the one they answered (a reply), else the unsubscribe counts against the latest."""
    now = timezone.now()
    first = Lead.objects.filter(pk=lead.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )
    if first:
        _attribute(lead, now, message)
    Enrollment.objects.filter(lead=lead).stop(STOPPED_UNSUBSCRIBED)
    suppress(
        organization=lead.organization_id,
        email=lead.email,
        reason=SuppressedAddress.Reason.UNSUBSCRIBED,
        detail=how,
    )
    return bool(first)


def leave(lead: Lead, *, campaign: Campaign | None = None, kind: str = "") -> bool:
    """The lead leaves one campaign (a listing alert's email: its listing alert campaign)
    or one kind of campaign; their sequences of it stop. True the first time."""
    if campaign is not None:
        campaign_id, _ = preferences.preference_target(campaign)
        fields = {"campaign_id": campaign_id, "kind": ""}
        stopped = Enrollment.objects.filter(lead=lead, campaign=campaign_id)
    else:
        fields = {"campaign_id": None, "kind": kind}
        stopped = Enrollment.objects.filter(lead=lead, campaign__type=kind)
    try:
        with transaction.atomic():
            OptOut.objects.create(organization_id=lead.organization_id, lead=lead, **fields)
    except IntegrityError:
        return False  # left already: a second click changes nothing
    stopped.stop(STOPPED_SKIPPED["left"])
    return True


def _attribute(lead: Lead, now: datetime.datetime, message: MessageLog | None) -> None:
    """The link names the lead, not the message: the unsubscribe is counted against the
    message answered, or the latest message they were sent, as the campaign that made them
    leave."""
    if message is not None:
        chosen = [message.pk]
    else:
        chosen = list(
            MessageLog.objects.filter(lead=lead, is_test=False, sent_at__isnull=False)
            .order_by("-sent_at")
            .values_list("pk", flat=True)[:1]
        )
    MessageLog.objects.filter(pk__in=chosen, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now, status=MessageLog.Status.UNSUBSCRIBED, updated_at=now
    )
