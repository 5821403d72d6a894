"""Bounces, by kind: what a delivery-failure notice says about the address.

- Hard (the address does not exist, 5.1.x): the address is suppressed for the agency at
  once and the lead's sequences stop (Gmail: "Automatically unsubscribe recipients who have
  multiple bounced messages"; every ESP suppresses a hard bounce at the first).
- Soft (a full mailbox, a busy or unreachable server: 4.x.x, 5.2.2): the message is sent
  again SOFT_BOUNCE_RETRY_HOURS later while its campaign runs (a periodic job, both
  drivers: campaigns/periodic/jobs.py), and the lead's sequences go on; at the address's
  SOFT_BOUNCE_LIMIT-th soft bounce with no sign of life between (no open, click or reply),
  it is suppressed like a hard one.
- Refused by policy (spam filter, authentication: 5.7.x): not the address's fault, so it is
  neither suppressed nor retried; it counts in the account's bounce rate, like the others,
  because it says the domain's reputation or set-up is the problem.

Every bounce may pause the account's campaigns when its bounce rate is too high
(campaigns/outbox/bounce_rate.py).
"""

import datetime
import re

from django.conf import settings
from django.db.models import F, Max, Sum
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import (
    STOPPED_BOUNCED,
    BounceType,
    Campaign,
    Dispatch,
    EmailAccount,
    Enrollment,
    MessageLog,
)
from campaigns.outbox import bounce_rate
from crm.models import SuppressedAddress
from crm.suppression import is_suppressed, suppress

Status = MessageLog.Status
# Enhanced status codes (RFC 3463) and the words of the usual notices; policy first: a
# 5.7.1 "blocked as spam" says nothing about the mailbox.
POLICY = re.compile(
    r"\b5\.7\.\d{1,3}\b|\b4\.7\.\d{1,3}\b|blocked|spam|policy|blacklist|reputation|"
    r"unauthenticated|dmarc|spf|dkim",
    re.IGNORECASE,
)
SOFT = re.compile(
    r"\b4\.\d\.\d{1,3}\b|\b5\.2\.2\b|^4\d\d\b|mailbox (is )?full|over quota|out of storage|"
    r"quota exceeded|temporar|try again|timed out|connection refused|could not connect|"
    r"insufficient storage",
    re.IGNORECASE,
)
SOFT_LIMIT_REACHED = "{count} soft bounces in a row, the last: {reason}"


def bounce_type(reason: str) -> str:
    """Hard, soft or policy, from the notice's words (a notice we cannot read: hard)."""
    if POLICY.search(reason):
        return BounceType.POLICY
    if SOFT.search(reason):
        return BounceType.SOFT
    return BounceType.HARD


def record_bounce(message: MessageLog, reason: str, now: datetime.datetime | None = None) -> bool:
    """A failure notice for a sent message: marked with its kind, then what the kind asks
    (above). False when the message was already marked bounced."""
    now = now or timezone.now()
    kind = bounce_type(reason)
    changed = MessageLog.objects.filter(pk=message.pk, bounced_at__isnull=True).update(
        status=Status.BOUNCED,
        bounced_at=now,
        bounce_type=kind,
        soft_bounces=F("soft_bounces") + (1 if kind == BounceType.SOFT else 0),
        error_message=reason[:2000],
        updated_at=now,
    )
    if kind == BounceType.HARD:
        _suppress(message, reason)
    elif kind == BounceType.SOFT and changed:
        count = soft_bounces_in_a_row(message)
        if count >= settings.SOFT_BOUNCE_LIMIT:
            _suppress(message, SOFT_LIMIT_REACHED.format(count=count, reason=reason))
    if changed and message.email_account_id:
        account = EmailAccount.objects.filter(pk=message.email_account_id).first()
        if account is not None:
            bounce_rate.pause_if_bouncing(account)
    return bool(changed)


def _suppress(message: MessageLog, reason: str) -> None:
    """The address never gets a campaign email again (a re-import does not resubscribe it),
    and the lead's sequences stop."""
    suppress(
        organization=message.organization_id,
        email=message.to_email,
        reason=SuppressedAddress.Reason.BOUNCED,
        detail=reason,
    )
    Enrollment.objects.filter(lead=message.lead_id).stop(STOPPED_BOUNCED)


def soft_bounces_in_a_row(message: MessageLog) -> int:
    """The soft bounces of the lead's address since their last sign of life (an open, a
    click or a reply to any message of the agency)."""
    mine = MessageLog.objects.filter(
        organization=message.organization_id, lead=message.lead_id, is_test=False
    )
    alive = mine.aggregate(
        opened=Max("opened_at"), clicked=Max("clicked_at"), replied=Max("replied_at")
    )
    last_sign = max((moment for moment in alive.values() if moment), default=None)
    since = mine if last_sign is None else mine.filter(sent_at__gt=last_sign)
    return since.aggregate(count=Sum("soft_bounces"))["count"] or 0


def retry_soft_bounces(now: datetime.datetime | None = None) -> int:
    """Send again the messages that bounced softly SOFT_BOUNCE_RETRY_HOURS ago or more,
    while their campaign runs and their address is not suppressed: back in the queue with a
    new Message-ID, through the driver that sends now (a dispatch of their own for n8n).
    Returns how many went back."""
    now = now or timezone.now()
    due = now - datetime.timedelta(hours=settings.SOFT_BOUNCE_RETRY_HOURS)
    waiting = list(
        MessageLog.objects.filter(
            status=Status.BOUNCED,
            bounce_type=BounceType.SOFT,
            bounced_at__lte=due,
            is_test=False,
            campaign__status=Campaign.Status.ACTIVE,
            lead__unsubscribed_at__isnull=True,
        ).select_related("lead", "campaign", "dispatch", "email_account")
    )
    retried = [m for m in waiting if not is_suppressed(m.organization_id, m.to_email)]
    driver = blasts.current_driver()
    by_campaign: dict[tuple, list[MessageLog]] = {}
    moved = 0
    for message in retried:
        running = message.dispatch and message.dispatch.status == Dispatch.Status.RUNNING
        if running or driver == Dispatch.Driver.DIRECT:
            moved += _requeue(message, message.dispatch_id if running else None)
        else:
            by_campaign.setdefault((message.campaign_id, message.email_account_id), []).append(
                message
            )
    for (campaign_id, account_id), messages in by_campaign.items():
        dispatch = Dispatch.objects.create(
            organization_id=messages[0].organization_id,
            campaign_id=campaign_id,
            email_account_id=account_id,
            driver=Dispatch.Driver.N8N,
            total=len(messages),
        )
        count = sum(_requeue(message, dispatch.pk) for message in messages)
        if not count:  # another caller of the periodic jobs sent them back first
            dispatch.delete()
            continue
        Dispatch.objects.filter(pk=dispatch.pk).update(total=count)
        blasts.hand_over(dispatch)
        moved += count
    return moved


def _requeue(message: MessageLog, dispatch_id: object) -> int:
    """Back in the queue, if still bounced (another caller may have sent it back): 1 or 0."""
    return MessageLog.objects.filter(
        pk=message.pk, status=Status.BOUNCED, bounce_type=BounceType.SOFT
    ).update(
        status=Status.QUEUED,
        dispatch_id=dispatch_id,
        bounced_at=None,
        claimed_at=None,
        sent_at=None,
        message_id="",
        updated_at=timezone.now(),
    )
