"""The bounce-rate pause: an account whose recent messages bounce too often is sending to
a bad list, and Gmail lowers the reputation of its whole domain for it ("If messages start
bouncing ... reduce the sending volume", support.google.com/a/answer/81126; Amazon SES
reviews an account at 5%). Above BOUNCE_RATE_MAX_PERCENT of its last BOUNCE_RATE_WINDOW
messages, the account's campaigns pause with the reason, as the error storm does.

Judged when a bounce is recorded (events/tracking.py) and when a message of the account is
claimed, for both drivers (claims.py). Only messages sent after the account's last such
pause count again, and only once BOUNCE_RATE_MIN_MESSAGES of them were sent: a campaign
that staff resume is judged on what it sends from then on.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, EmailAccount, MessageLog

log = logging.getLogger(__name__)
BOUNCES_PAUSED = (
    "Paused: {bounced} of the last {judged} messages from {account} bounced ({percent:g}%, "
    "above {limit:g}%). Remove the bad addresses (the results say which), then resume."
)
# Why a claim came back empty, said to n8n and in the sender's log.
TOO_MANY_BOUNCES = "the account's bounce rate is too high: its campaigns are paused"


@dataclass(frozen=True)
class BounceRate:
    bounced: int
    judged: int

    @property
    def percent(self) -> float:
        return round(100 * self.bounced / self.judged, 1) if self.judged else 0.0

    @property
    def too_high(self) -> bool:
        return (
            self.judged >= settings.BOUNCE_RATE_MIN_MESSAGES
            and self.percent > settings.BOUNCE_RATE_MAX_PERCENT
        )


def bounce_rate(account: EmailAccount) -> BounceRate:
    """The share of the account's last BOUNCE_RATE_WINDOW sent messages (since its last
    pause for bounces) that bounced, soft bounces included. Two small queries."""
    sent = MessageLog.objects.filter(
        email_account=account, is_test=False, sent_at__isnull=False
    ).order_by("-sent_at")
    if account.bounce_paused_at:
        sent = sent.filter(sent_at__gt=account.bounce_paused_at)
    latest = list(sent.values_list("pk", flat=True)[: settings.BOUNCE_RATE_WINDOW])
    bounced = MessageLog.objects.filter(pk__in=latest).filter(
        Q(bounced_at__isnull=False) | Q(soft_bounces__gt=0)
    )
    return BounceRate(bounced=bounced.count(), judged=len(latest))


def pause_if_bouncing(account: EmailAccount) -> int:
    """Pause the account's active campaigns when its bounce rate is too high; how many."""
    rate = bounce_rate(account)
    if not rate.too_high:
        return 0
    reason = BOUNCES_PAUSED.format(
        bounced=rate.bounced,
        judged=rate.judged,
        account=account.email_address,
        percent=rate.percent,
        limit=settings.BOUNCE_RATE_MAX_PERCENT,
    )
    waiting = MessageLog.objects.filter(
        email_account=account, status=MessageLog.Status.QUEUED, is_test=False
    ).values("campaign")
    campaigns = Campaign.objects.filter(Q(email_account=account) | Q(pk__in=waiting))
    paused = campaigns.pause(reason)
    if paused:  # from now on, only what is sent after the pause is judged
        now = timezone.now()
        EmailAccount.objects.filter(pk=account.pk).update(bounce_paused_at=now, updated_at=now)
        account.bounce_paused_at = now
        log.warning("account %s: %s campaigns paused for bounces: %s", account.pk, paused, reason)
    return paused
