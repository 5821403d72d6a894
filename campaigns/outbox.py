"""The outbox is the MessageLog table: claim a queued row, send it, record the result.

Claims are conditional UPDATEs whose row count is checked, so two senders never take the
same row. Sending is at most once: a row claimed by a process that died is marked
`unknown` and never resent automatically.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, ExpressionWrapper, Q, QuerySet, Value
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import ngettext

from campaigns import gmail, sending
from campaigns.models import Campaign, CampaignStep, Dispatch, EmailAccount, Enrollment, MessageLog
from crm.suppression import is_suppressed

log = logging.getLogger(__name__)
Status = MessageLog.Status
STALE_CLAIM = timedelta(minutes=15)
TOKEN_RETRY = timedelta(minutes=1)
UNSUBSCRIBED = "The lead opted out (or the address is suppressed): not sent."
STOPPED_AFTER_FAILURE = "step {order} could not be sent: {error}"
CLAIM_EXPIRED = (
    "The sender stopped while sending this message: it may or may not have gone out, "
    "so it is not resent automatically."
)


def sendable_accounts() -> list[EmailAccount]:
    now = timezone.now()
    return list(
        EmailAccount.objects.filter(is_active=True, needs_reconnect=False)
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
        .order_by("pk")
    )


def sent_in_last_day(account: EmailAccount) -> int:
    since = timezone.now() - timedelta(hours=24)
    return MessageLog.objects.filter(email_account=account, sent_at__gte=since).count()


def send_interval(account: EmailAccount) -> timedelta:
    """The gap between two sends of the account under Gmail's per-user quota (15,000 units
    a minute, 100 a send: 0.4 s); none for the sandbox, which calls nobody."""
    if account.provider == EmailAccount.Provider.SANDBOX:
        return timedelta(0)
    per_minute = settings.GMAIL_QUOTA_UNITS_PER_MINUTE / settings.GMAIL_SEND_COST_UNITS
    return timedelta(seconds=60 / per_minute)


def take_slots(account: EmailAccount, count: int = 1) -> bool:
    """Reserve the account's next `count` send slots, from now: one conditional UPDATE, on
    the database's clock, that only succeeds when the previous reservation has run out. Any
    number of processes on any hosts, and n8n, share the quota through it."""
    reserved = ExpressionWrapper(
        Now() + Value(send_interval(account) * count), output_field=DateTimeField()
    )
    return bool(
        EmailAccount.objects.filter(pk=account.pk)
        .filter(Q(next_send_at__isnull=True) | Q(next_send_at__lte=Now()))
        .update(next_send_at=reserved)
    )


def slot_wait(account: EmailAccount) -> float:
    """Seconds until the account's next send slot frees (0 when it is free)."""
    row = (
        EmailAccount.objects.filter(pk=account.pk)
        .annotate(db_now=ExpressionWrapper(Now(), output_field=DateTimeField()))
        .values("next_send_at", "db_now")
        .first()
    )
    if not row or row["next_send_at"] is None:
        return 0.0
    return max(0.0, (row["next_send_at"] - row["db_now"]).total_seconds())


def claim(queued: QuerySet[MessageLog], limit: int) -> list[MessageLog]:
    """Take up to `limit` rows of `queued`, oldest first, each by a conditional UPDATE: a
    row another sender took a moment earlier is passed over, never shared."""
    taken: list[object] = []
    for pk in queued.order_by("created_at", "pk").values_list("pk", flat=True)[: limit * 2 + 3]:
        if len(taken) >= limit:
            break
        now = timezone.now()
        if MessageLog.objects.filter(pk=pk, status=Status.QUEUED).update(
            status=Status.SENDING, claimed_at=now, updated_at=now
        ):
            taken.append(pk)
    return list(
        MessageLog.objects.select_related("lead__organization")
        .filter(pk__in=taken)
        .order_by("created_at", "pk")
    )


def claim_next(account: EmailAccount) -> MessageLog | None:
    """Take the oldest queued message of the account; None when there is none."""
    queued = MessageLog.objects.filter(
        email_account=account,
        status=Status.QUEUED,
        is_test=False,
        campaign__status=Campaign.Status.ACTIVE,
    ).filter(
        # Messages of n8n dispatches are n8n's to claim; scheduled ones wait for their time.
        Q(dispatch__isnull=True)
        | Q(dispatch__status=Dispatch.Status.RUNNING, dispatch__driver=Dispatch.Driver.DIRECT)
    )
    taken = claim(queued, 1)
    return taken[0] if taken else None


def skip_if_suppressed(message: MessageLog) -> bool:
    """A claimed message to a lead who opted out since it was queued is skipped, not sent."""
    lead = message.lead
    if lead.unsubscribed_at or is_suppressed(lead.organization_id, lead.email):
        finish(message, Status.SKIPPED, error_message=UNSUBSCRIBED)
        return True
    return False


def finish(message: MessageLog, status: str, **fields: object) -> bool:
    """Record the outcome of a claimed message; False when it was no longer `sending`.
    Both drivers record through here (the direct sender, and n8n's log-message call)."""
    changed = bool(
        MessageLog.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=status, updated_at=timezone.now(), **fields
        )
    )
    if changed and status == Status.FAILED and not message.is_test:
        stop_after_failure(message, str(fields.get("error_message", "")))
    return changed


def stop_after_failure(message: MessageLog, error: str) -> None:
    """A message that failed for good (never resent) ends its lead's way through the
    sequence: the next steps would follow up, as replies, on a message the lead never got.
    Later steps already queued for the lead are cancelled with it."""
    order = (
        CampaignStep.objects.filter(pk=message.campaign_step_id)
        .values_list("order", flat=True)
        .first()
    )
    reason = STOPPED_AFTER_FAILURE.format(order=order, error=error or "failed")
    Enrollment.objects.filter(campaign=message.campaign_id, lead=message.lead_id).stop(reason)
    MessageLog.objects.filter(
        campaign=message.campaign_id, lead=message.lead_id, status=Status.QUEUED, is_test=False
    ).update(status=Status.CANCELLED, error_message=reason, updated_at=timezone.now())


def send_one(message: MessageLog, account: EmailAccount) -> str:
    """Send a claimed message and record what happened; returns the new status."""
    if skip_if_suppressed(message):
        return Status.SKIPPED
    try:
        sent = sending.deliver(message, account)
    except gmail.TokenRevoked as error:
        # Nothing went out: the message waits for the account to be reconnected.
        finish(message, Status.QUEUED, claimed_at=None)
        pause_campaigns_of(account, f"Sending account needs reconnecting: {error}")
        return Status.QUEUED
    except gmail.TokenUnavailable as error:
        # Nothing went out: back in the queue, and the account rests a minute.
        finish(message, Status.QUEUED, claimed_at=None, error_message=str(error))
        rest_account(account, TOKEN_RETRY, f"Could not get an access token: {error}")
        return Status.QUEUED
    except gmail.QuotaExceeded as error:
        finish(message, Status.QUEUED, claimed_at=None)
        rest_account(account, timedelta(seconds=error.retry_after), f"Gmail limit reached: {error}")
        return Status.QUEUED
    except gmail.SendUncertain as error:
        finish(message, Status.UNKNOWN, error_message=str(error))
        return Status.UNKNOWN
    except gmail.GmailError as error:
        finish(message, Status.FAILED, error_message=str(error))
        return Status.FAILED
    finish(
        message,
        Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=sent.message_id,
        thread_id=sent.thread_id,
    )
    return Status.SENT


def rest_account(account: EmailAccount, pause: timedelta, reason: str) -> None:
    until = timezone.now() + pause
    EmailAccount.objects.filter(pk=account.pk).update(paused_until=until, last_error=reason)
    account.paused_until = until


def pause_campaigns_of(account: EmailAccount, reason: str) -> int:
    now = timezone.now()
    paused = Campaign.objects.filter(email_account=account, status=Campaign.Status.ACTIVE).update(
        status=Campaign.Status.PAUSED, paused_at=now, pause_reason=reason[:300], updated_at=now
    )
    campaigns = ngettext("%(n)s campaign", "%(n)s campaigns", paused) % {"n": paused}
    log.warning("paused %s of account %s: %s", campaigns, account.pk, reason)
    return paused


def expire_stale_claims(now: timezone.datetime | None = None) -> int:
    """Rows left in `sending` by a dead process become `unknown` (never resent)."""
    cutoff = (now or timezone.now()) - STALE_CLAIM
    return MessageLog.objects.filter(
        status=Status.SENDING, is_test=False, claimed_at__lt=cutoff
    ).update(status=Status.UNKNOWN, error_message=CLAIM_EXPIRED, updated_at=timezone.now())


class ErrorStorm:
    """Pauses a campaign after too many failures in a row (listmonk's max_send_errors):
    a broken template or a dead account should not burn through the whole audience."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.streak: dict[object, int] = {}

    def record(self, message: MessageLog, status: str) -> bool:
        """Count the outcome; True when it paused the campaign."""
        from campaigns import dispatch  # dispatch imports this module

        streak = self.streak.get(message.campaign_id, 0) + 1 if status == Status.FAILED else 0
        self.streak[message.campaign_id] = streak
        if streak < self.threshold:
            return False
        self.streak[message.campaign_id] = 0
        message.refresh_from_db(fields=["error_message"])
        reason = STORM_PAUSED.format(count=streak, error=message.error_message)
        return dispatch.campaign_pause(message.campaign, reason)


STORM_PAUSED = "Paused after {count} failures in a row; the last one: {error}"
