"""The outbox is the MessageLog table; claiming a message from it is where every rule of
sending is enforced, for both drivers (`send_queued` and n8n's claim) and any number of
processes on any number of hosts:

- the campaign is active (and a dispatch's messages wait for it to run);
- an A/B subject test's rest waits, held, until its winner is chosen (ab_tests);
- the lead has not opted out and the address is not suppressed, and the agency's rules let
  it email them (consent; else: skipped);
- the account is connected and not resting after a 429 or a token failure;
- the account's rolling-24-hour cap;
- the account's per-minute quota: its next send slot, on the database's clock;
- the error storm: failures in a row per campaign, counted in the database (`finish`);
- the account's bounce rate (bounce_rate.py): too high, its campaigns pause.

A claim first takes the account's send slots with one conditional UPDATE. That UPDATE also
makes the account's claims take turns (a row lock on PostgreSQL, the write lock on SQLite,
whose transactions begin IMMEDIATE: see settings), so the daily cap counted next cannot be
raced. Message rows are picked with FOR UPDATE SKIP LOCKED where the database has it, and
each is taken by a conditional UPDATE of its status whose row count is checked. A claim
that may not send yet says when to come back (`Claim.retry_after`).

A claimed message is rendered and built (its RFC 5322 bytes, `Claim.raw`) in the claim's
transaction, each in a savepoint: one that cannot be built (a step that does not render for
its lead, an address no message can carry, any fault of the builder) fails alone, with the
reason, and the rest of the claim goes on. Nothing is built after the claim commits, so no
error there can leave a batch stranded in `sending`.

Sending is at most once: a row claimed by a process that died is marked `unknown` and
never resent automatically. A claim, and every outcome that moves a message out of
`sending`, commits with `synchronous_commit = on` on PostgreSQL (`durable`): no server
setting can make a committed claim vanish in a crash, and the message be claimed again.

One clock: claimed_at, sent_at, rests, the 24-hour window and every cutoff are read from
the database (`database_now`), never from the process, so a sender whose clock is wrong
cannot pass a cap.

What went wrong passes or lasts (`attempt`): Gmail's permanent answers fail the message
(and stop the lead's sequence); a passing failure (Gmail 5xx or unreachable, no token, a
limit, a full disk, anything unexpected before the message left) puts it back in the queue
and rests the account, longer after each try, until settings.SEND_ATTEMPTS tries (hours)
have failed; no answer after the request left leaves it `unknown`.
"""

import contextlib
import datetime
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.db.models.functions import Now, Substr
from django.utils import timezone

from campaigns.ab_tests import variants
from campaigns.accounts import gmail, providers, warmup
from campaigns.audiences import audience
from campaigns.content import rendering
from campaigns.models import (
    STOPPED_AFTER_FAILURE,
    AbGroup,
    Campaign,
    CampaignStep,
    Dispatch,
    EmailAccount,
    Enrollment,
    MessageLog,
)
from campaigns.outbox import bounce_rate, sending
from crm.site.bulk import update_rows

log = logging.getLogger(__name__)
Status = MessageLog.Status
DAY = timedelta(hours=24)
# The shortest wait a refused claim asks for: a clock read twice can disagree by a hair.
MIN_WAIT = 0.05
CLAIM_EXPIRED = (
    "The sender stopped while sending this message: it may or may not have gone out, "
    "so it is not resent automatically."
)
STORM_PAUSED = "Paused after {count} failures in a row; the last one: {error}"
GAVE_UP = "Still failing after {attempts} tries over {hours}: {error}"
RESTING_AFTER = "Sending failed for now ({error}): the account rests until the next try."
UNEXPECTED = "Not sent: {error}"
# A passing failure rests the account this long after the first try, twice as long after
# each next one, at most REST_LONGEST: with settings.SEND_ATTEMPTS tries, hours in all.
REST_FIRST = timedelta(seconds=30)
REST_LONGEST = timedelta(minutes=30)
# Why a claim came back empty, said to n8n and in the sender's log.
CANNOT_SEND = "the account cannot send (disconnected or needs reconnecting)"
RESTING = "the account rests after a Gmail limit or a token failure"
DAILY_CAP = "the account reached its daily cap"
PACED = "the account's per-minute quota: waiting for its next send slot"
QUEUING = "the launch is still queuing its audience"
QUEUING_WAIT = 1.0
# n8n comes back this often while only an agent's account that needs reconnecting has
# messages left in its dispatch (the campaign itself is not paused for it).
RECONNECT_WAIT = 300.0


def stale_claim() -> timedelta:
    """How long a claimed message may stay `sending` before its sender is taken for dead
    (CLAIM_LEASE_SECONDS, 15 minutes: longer than any send with its retries)."""
    return timedelta(seconds=settings.CLAIM_LEASE_SECONDS)


@dataclass(frozen=True)
class Claim:
    """What a claim got: messages in `sending`, to be sent in order, the n-th not before
    n x `spacing` seconds from now (their quota slots); or, when nothing may be sent yet,
    `retry_after` seconds to wait and the reason. Empty with no retry_after: nothing waits."""

    messages: list[MessageLog] = field(default_factory=list)
    spacing: float = 0.0
    retry_after: float | None = None
    reason: str = ""
    # The account the messages go through (n8n's claim: its token is asked for next).
    account: EmailAccount | None = None
    # Each message's bytes, built in the claim: {message pk: RFC 5322 bytes}.
    raw: dict[Any, bytes] = field(default_factory=dict)


def database_now() -> datetime.datetime:
    """The database's clock (settings.OUTBOX_DATABASE_CLOCK; the suite keeps the process's,
    which time_machine moves): every sender and web process on every host reads the same."""
    if not settings.OUTBOX_DATABASE_CLOCK:
        return timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT STATEMENT_TIMESTAMP()")
            return cursor.fetchone()[0]
        cursor.execute("SELECT STRFTIME('%Y-%m-%d %H:%M:%f', 'now')")
        return datetime.datetime.fromisoformat(cursor.fetchone()[0]).replace(tzinfo=datetime.UTC)


@contextlib.contextmanager
def durable() -> Iterator[None]:
    """A transaction whose commit waits for the WAL to reach disk on PostgreSQL, whatever
    the server's synchronous_commit: a crash cannot undo it. SQLite commits durably."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = on")
        yield


class _NotNow(Exception):
    """Raised inside a claim's transaction to undo it, carrying the answer."""

    def __init__(self, claim: Claim) -> None:
        self.claim = claim


def send_interval(account: EmailAccount) -> timedelta:
    """The gap between two sends of the account under Gmail's per-user quota (15,000 units
    a minute, 100 a send: 0.4 s); none for a provider that is not paced (the sandbox)."""
    if not providers.provider_of(account).paced:
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


def give_back_slots(account: EmailAccount, count: int) -> None:
    """Return the last `count` slots of the reservation just taken (fewer messages than
    slots); only while the claim's transaction still holds the account."""
    interval = send_interval(account)
    if count and interval:
        EmailAccount.objects.filter(pk=account.pk).update(
            next_send_at=F("next_send_at") - Value(interval * count)
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


def sendable_accounts() -> list[EmailAccount]:
    """Accounts that may have something to claim now (the claim checks again)."""
    now = database_now()
    return list(
        EmailAccount.objects.filter(is_active=True, needs_reconnect=False)
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
        .order_by("pk")
    )


def sent_in_last_day(account: EmailAccount, now: datetime.datetime | None = None) -> int:
    """What counts against the rolling-24-hour cap: messages sent in the last 24 hours, and
    those claimed since and not known to be unsent (in flight, or lost mid-send)."""
    since = (now or database_now()) - DAY
    in_flight = Q(
        status__in=[Status.SENDING, Status.UNKNOWN], sent_at__isnull=True, claimed_at__gte=since
    )
    # One statement, so one snapshot: counted in two, a message that another process marked
    # sent between them (PostgreSQL's READ COMMITTED) would be missed by both.
    return (
        MessageLog.objects.filter(email_account=account)
        .filter(Q(sent_at__gte=since) | in_flight)
        .count()
    )


def _cap_wait(account: EmailAccount, now: datetime.datetime) -> float:
    """Seconds until the oldest send of the last 24 hours leaves the window (or a warm-up
    raises the cap)."""
    oldest = (
        MessageLog.objects.filter(email_account=account, sent_at__gte=now - DAY)
        .order_by("sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    # Only claims in flight fill the cap: they end (sent, or back in the queue) soon.
    wait = (oldest + DAY - now).total_seconds() if oldest else stale_claim().total_seconds()
    rise = warmup.next_rise(account, now)  # a warming account's cap may rise sooner
    if rise is not None:
        wait = min(wait, (rise - now).total_seconds())
    return max(MIN_WAIT, wait)


def _refusal(account: EmailAccount, now: datetime.datetime) -> Claim | None:
    if not account.can_send:
        return Claim(reason=CANNOT_SEND)
    if account.paused_until and account.paused_until > now:
        wait = (account.paused_until - now).total_seconds()
        return Claim(retry_after=max(MIN_WAIT, wait), reason=RESTING)
    return None


def account_queue(account: EmailAccount) -> QuerySet[MessageLog]:
    """The direct driver's messages of the account: of active campaigns, outside any
    dispatch (a sequence's) or in a running direct one. n8n claims its own dispatches'."""
    return MessageLog.objects.filter(
        email_account=account,
        status=Status.QUEUED,
        is_test=False,
        campaign__status=Campaign.Status.ACTIVE,
    ).filter(
        Q(dispatch__isnull=True)
        | Q(dispatch__status=Dispatch.Status.RUNNING, dispatch__driver=Dispatch.Driver.DIRECT),
        ~Q(ab_group=AbGroup.HELD),  # an A/B test's rest waits for its winner (ab_tests)
    )


def claim(account: EmailAccount, queued: QuerySet[MessageLog], limit: int = 1) -> Claim:
    """Take up to `limit` messages of `queued` (all of `account`), oldest first, under every
    rule above; see Claim for the answer."""
    # Its oldest key, read as the claim reads them (an EXISTS would drop the order, and may
    # scan the message log where the planner hopes to meet a match early).
    if not queued.order_by("created_at", "pk").values_list("pk", flat=True)[:1]:
        return Claim()
    if bounce_rate.pause_if_bouncing(account):  # outside the claim's transaction: it stays
        return Claim(reason=bounce_rate.TOO_MANY_BOUNCES)
    try:
        with durable():  # a claim lost in a crash would be claimed, and sent, again
            return _claim(account, queued, limit)
    except _NotNow as refused:
        return refused.claim


def _claim(account: EmailAccount, queued: QuerySet[MessageLog], limit: int) -> Claim:
    if not take_slots(account, limit):
        raise _NotNow(Claim(retry_after=max(MIN_WAIT, slot_wait(account)), reason=PACED))
    # From here the account's other claims wait for this one: what is read next holds.
    account.refresh_from_db()
    now = database_now()
    refusal = _refusal(account, now)
    if refusal is not None:
        raise _NotNow(refusal)
    left = warmup.effective_daily_limit(account, now) - sent_in_last_day(account, now)
    if left <= 0:
        raise _NotNow(Claim(retry_after=_cap_wait(account, now), reason=DAILY_CAP))
    wanted = min(limit, left)
    messages: list[MessageLog] = []
    raw: dict[Any, bytes] = {}
    # A message skipped (opted out) or failed (it cannot be rendered or built) takes no
    # slot: the claim takes the next one instead.
    while len(messages) < wanted and (taken := _take(queued, wanted - len(messages), now)):
        for message in taken:
            if skip_if_suppressed(message):
                continue
            try:
                raw[message.pk] = _prepare(message, account)
            except _Unbuildable as failed:
                finish(message, Status.FAILED, error_message=failed.reason)
                continue
            messages.append(message)
    give_back_slots(account, limit - len(messages))
    return Claim(messages, spacing=send_interval(account).total_seconds(), raw=raw)


class _Unbuildable(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _prepare(message: MessageLog, account: EmailAccount) -> bytes:
    """The claimed message rendered and built, in a savepoint: whatever that raises (but a
    database error, which undoes the whole claim) is the message's failure, not the claim's."""
    try:
        with transaction.atomic():
            return sending.prepare_claimed(message, account)
    except rendering.TemplateError as error:
        reason = sending.render_failure(error)
    except DatabaseError:
        raise
    except Exception as error:
        log.exception("message %s could not be built", message.pk)
        reason = sending.build_failure(error)
    raise _Unbuildable(reason)


def oldest_first(queued: QuerySet[MessageLog]) -> QuerySet[MessageLog, Any]:
    """The keys of `queued`, oldest first, each row locked and passed over when another
    claim holds it (where the database can). Read in that order from the claim indexes
    (campaigns_claim_by_account, campaigns_claim_by_dispatch), never sorted, however long
    the queue."""
    candidates = queued.order_by("created_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    return candidates.values_list("pk", flat=True)


def _take(queued: QuerySet[MessageLog], count: int, now: datetime.datetime) -> list[MessageLog]:
    """Move up to `count` rows of `queued` to `sending`, each by a conditional UPDATE: a row
    another process took or cancelled a moment earlier is passed over, never shared."""
    taken = []
    for pk in oldest_first(queued)[:count]:
        if MessageLog.objects.filter(pk=pk, status=Status.QUEUED).update(
            status=Status.SENDING, claimed_at=now, updated_at=now
        ):
            taken.append(pk)
    return list(
        MessageLog.objects.select_related(
            "lead__organization", "lead__property", "campaign", "snapshot"
        )
        .filter(pk__in=taken)
        .order_by("created_at", "pk")
    )


def dispatch_queue(dispatch: Dispatch) -> QuerySet[MessageLog]:
    """n8n's messages of a dispatch, while it runs and its campaign is active."""
    return MessageLog.objects.filter(
        dispatch=dispatch,
        status=Status.QUEUED,
        is_test=False,
        campaign__status=Campaign.Status.ACTIVE,
        dispatch__status=Dispatch.Status.RUNNING,
    ).exclude(ab_group=AbGroup.HELD)


def claim_for_account(account: EmailAccount) -> Claim:
    """The direct driver's claim: the account's oldest waiting message."""
    return claim(account, account_queue(account), 1)


def claim_for_dispatch(dispatch: Dispatch, limit: int) -> Claim:
    """n8n's claim: up to `limit` messages of the dispatch, with their slots, all of one
    account (`Claim.account`). A dispatch sent from each lead's agent spans several: the
    first that may send now answers; else the one that may send soonest says when."""
    waits = []
    for account in dispatch_accounts(dispatch):
        queued = dispatch_queue(dispatch).filter(email_account=account)
        claimed = replace(claim(account, queued, limit), account=account)
        if claimed.messages:
            return claimed
        agent_waits = account.pk != dispatch.email_account_id and claimed.reason == CANNOT_SEND
        if agent_waits and claimed.retry_after is None:
            claimed = replace(claimed, retry_after=RECONNECT_WAIT)
        if claimed.retry_after is not None:
            waits.append(claimed)
    if waits:
        return min(waits, key=lambda wait: wait.retry_after or 0.0)
    if Dispatch.objects.filter(pk=dispatch.pk, queuing=True).exists():
        return Claim(retry_after=QUEUING_WAIT, reason=QUEUING, account=dispatch.email_account)
    held = variants.held_wait(dispatch)
    if held is not None:  # the execution waits for the winner, as for the daily cap
        return Claim(retry_after=held, reason=variants.HELD, account=dispatch.email_account)
    return Claim(account=dispatch.email_account)


def dispatch_accounts(dispatch: Dispatch) -> list[EmailAccount]:
    """The accounts the dispatch's waiting messages go through, its own first."""
    if not dispatch.campaign.send_from_agents:
        return [dispatch.email_account]
    others = (
        dispatch_queue(dispatch)
        .exclude(email_account=dispatch.email_account_id)
        .order_by()
        .values("email_account")
        .distinct()
    )
    return [
        dispatch.email_account,
        *EmailAccount.objects.filter(pk__in=others).order_by("created_at", "pk"),
    ]


def skip_if_suppressed(message: MessageLog) -> bool:
    """A claimed message to a lead who opted out (of everything, or of this campaign or its
    kind) or whose consent ran out since it was queued is skipped, not sent."""
    reason = audience.reason_not_to_send(message.lead, message.campaign)
    if reason:
        finish(message, Status.SKIPPED, error_message=reason)
        return True
    return False


def finish(message: MessageLog, status: str, **fields: object) -> bool:
    """Record the outcome of a claimed message, durably; False when it was no longer
    `sending`. Both drivers record through here (the direct sender, and n8n's log-message
    call), so the error storm is counted here, in the database, across every process."""
    with durable():
        return _finish(message, status, fields)


def _finish(message: MessageLog, status: str, fields: dict[str, Any]) -> bool:
    changed = bool(
        MessageLog.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=status, updated_at=timezone.now(), **fields
        )
    )
    if changed and not message.is_test:
        if status == Status.FAILED:
            error = str(fields.get("error_message", ""))
            stop_after_failure(message, error)
            count_failure(message.campaign_id, error)
        elif status == Status.SENT:
            Campaign.objects.filter(pk=message.campaign_id, failure_streak__gt=0).update(
                failure_streak=0
            )
    return changed


def stop_after_failure(message: MessageLog, error: str) -> None:
    """A message that failed for good (never resent) ends its lead's way through the
    sequence: the next steps would follow up, as replies, on a message the lead never got.
    Later steps already queued for the lead are cancelled with it."""
    message.error_message = error
    stop_after_failures([message])


def stop_after_failures(messages: list[MessageLog]) -> None:
    """stop_after_failure for many messages in the same four queries, whatever their number
    (n8n reports a batch at a time)."""
    if not messages:
        return  # an empty Q() below would match every lead
    orders: dict[uuid.UUID | None, int] = dict(
        CampaignStep.objects.filter(pk__in={m.campaign_step_id for m in messages}).values_list(
            "pk", "order"
        )
    )
    reasons = {
        (m.campaign_id, m.lead_id): STOPPED_AFTER_FAILURE.format(
            order=orders.get(m.campaign_step_id), error=m.error_message or "failed"
        )
        for m in messages
    }
    whose = Q()
    for campaign_id, lead_id in reasons:
        whose |= Q(campaign=campaign_id, lead=lead_id)
    reason = Case(
        *(
            When(campaign=campaign_id, lead=lead_id, then=Value(text))
            for (campaign_id, lead_id), text in reasons.items()
        )
    )
    Enrollment.objects.filter(whose, state=Enrollment.State.ACTIVE).update(
        state=Enrollment.State.STOPPED,
        stop_reason=Substr(reason, 1, 200),
        next_due_at=None,
        updated_at=timezone.now(),
    )
    MessageLog.objects.filter(whose, status=Status.QUEUED, is_test=False).update(
        status=Status.CANCELLED, error_message=reason, updated_at=timezone.now()
    )


def finish_many(
    outcomes: dict[Any, dict[str, Any]], campaign_of: dict[Any, Any], streaks: dict[Any, int]
) -> int:
    """Record many claimed messages' outcomes, {pk: {"status": ..., field: value}}, in one
    UPDATE; only rows still `sending` change. `campaign_of` maps each pk to its campaign,
    and `streaks` holds the campaigns' failures in a row as read with the messages, for the
    error storm. Returns how many changed."""
    changed = update_rows(
        MessageLog,
        outcomes,
        every_row={"updated_at": timezone.now()},
        where={"status": Status.SENDING},
    )
    # As in finish(): a message that failed for good stops its lead (four queries more, and
    # only when the batch holds failures), and the failures in a row are counted.
    failed = [pk for pk, fields in outcomes.items() if fields.get("status") == Status.FAILED]
    if failed:
        stop_after_failures(list(MessageLog.objects.filter(pk__in=failed, is_test=False)))
    count_outcomes([(campaign_of[pk], fields) for pk, fields in outcomes.items()], streaks)
    return changed


def count_outcomes(outcomes: list[tuple[Any, dict[str, Any]]], streaks: dict[Any, int]) -> None:
    """The error storm's count for a batch of (campaign, outcome) in report order: a sent
    message starts the count over, each failure after it adds one. One UPDATE a campaign,
    none when the count read with the messages (`streaks`) has the value the batch would
    set already (sent reports while the count is 0), and one more to pause the campaign
    when the batch holds failures."""
    tally: dict[Any, tuple[bool, int, str]] = {}
    for campaign_id, fields in outcomes:
        restart, failures, error = tally.get(campaign_id, (False, 0, ""))
        if fields.get("status") == Status.SENT:
            tally[campaign_id] = (True, 0, error)
        elif fields.get("status") == Status.FAILED:
            tally[campaign_id] = (restart, failures + 1, fields.get("error_message") or "failed")
    for campaign_id, (restart, failures, error) in tally.items():
        if not restart:
            Campaign.objects.filter(pk=campaign_id).update(
                failure_streak=F("failure_streak") + failures
            )
        # A failure counted by another batch since the read is ordered after this batch,
        # as if its report had come later: both orders are possible for concurrent calls.
        elif streaks.get(campaign_id) != failures:
            Campaign.objects.filter(pk=campaign_id).exclude(failure_streak=failures).update(
                failure_streak=failures
            )
        if error:  # the batch held a failure
            _pause_in_storm(campaign_id, error)


def count_failure(campaign_id: uuid.UUID, error: str) -> bool:
    """One more failure in a row for the campaign; at CAMPAIGN_MAX_SEND_ERRORS it pauses (a
    broken template or a dead account should not burn through the whole audience, as
    listmonk's max_send_errors). True when this failure paused it."""
    Campaign.objects.filter(pk=campaign_id).update(failure_streak=F("failure_streak") + 1)
    return _pause_in_storm(campaign_id, error)


def _pause_in_storm(campaign_id: uuid.UUID, error: str) -> bool:
    threshold = settings.CAMPAIGN_MAX_SEND_ERRORS
    reason = STORM_PAUSED.format(count=threshold, error=error or "failed")
    paused = Campaign.objects.filter(pk=campaign_id, failure_streak__gte=threshold).pause(reason)
    if paused:
        log.warning("campaign %s paused: %s", campaign_id, reason)
    return bool(paused)


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed message, to be recorded (`record`): its new status and
    fields, and how long its account rests (with the reason), if it does."""

    message: MessageLog
    status: str
    fields: dict[str, Any] = field(default_factory=dict)
    rest: timedelta | None = None
    rest_reason: str = ""


def attempt(message: MessageLog, account: EmailAccount, raw: bytes | None = None) -> Outcome:
    """Send a claimed message, built by its claim (`raw`, Claim.raw) or built here, and say
    what became of it; records nothing, raises nothing but what stops the process
    (KeyboardInterrupt, SystemExit). A message that cannot be built fails, alone, with the
    reason: building it again would fail again."""
    if raw is None:
        try:
            raw = sending.build_for(message, account)
        except DatabaseError as error:  # the database, not the message: it may go later
            return passing_failure(
                message, UNEXPECTED.format(error=f"{type(error).__name__}: {error}")
            )
        except Exception as error:
            log.exception("message %s could not be built", message.pk)
            return Outcome(message, Status.FAILED, {"error_message": sending.build_failure(error)})
    try:
        sent = sending.deliver(message, account, raw)
    except gmail.TokenRevoked:
        # Nothing went out: the message waits for the account to be reconnected (the
        # account was marked, and its campaigns paused, when Google refused the token).
        return Outcome(message, Status.QUEUED, {"claimed_at": None})
    except gmail.QuotaExceeded as error:
        # Gmail's limit is not the message's fault: no try is counted.
        rest = timedelta(seconds=error.retry_after)
        return Outcome(
            message, Status.QUEUED, {"claimed_at": None}, rest, f"Gmail limit reached: {error}"
        )
    except gmail.Transient as error:
        return passing_failure(message, str(error))
    except gmail.SendUncertain as error:
        # Gmail may have it: never sent again. Gmail not answering, the account rests.
        fields = {"error_message": str(error)}
        return Outcome(
            message, Status.UNKNOWN, fields, REST_FIRST, RESTING_AFTER.format(error=error)
        )
    except gmail.GmailError as error:
        return Outcome(message, Status.FAILED, {"error_message": str(error)})
    except Exception as error:
        # A fault of ours or of the machine before the message left (Gmail's answers are
        # all GmailError): it goes back, and fails for good only if it lasts.
        log.exception("message %s: unexpected error while sending", message.pk)
        return passing_failure(message, UNEXPECTED.format(error=f"{type(error).__name__}: {error}"))
    return Outcome(
        message,
        Status.SENT,
        {"provider_message_id": sent.message_id, "thread_id": sent.thread_id},
    )


def passing_failure(message: MessageLog, error: str) -> Outcome:
    """Nothing went out, and it may go later: back in the queue, the account resting longer
    after each try; after settings.SEND_ATTEMPTS tries it fails for good."""
    tries = message.attempts + 1
    if tries >= settings.SEND_ATTEMPTS:
        hours = _duration(message.created_at, timezone.now())  # words only: no query
        gave_up = GAVE_UP.format(attempts=tries, hours=hours, error=error)
        return Outcome(message, Status.FAILED, {"error_message": gave_up, "attempts": tries})
    rest = min(REST_FIRST * 2 ** (tries - 1), REST_LONGEST)
    fields = {"claimed_at": None, "error_message": error, "attempts": tries}
    return Outcome(message, Status.QUEUED, fields, rest, RESTING_AFTER.format(error=error))


def _duration(start: datetime.datetime | None, end: datetime.datetime) -> str:
    hours = (end - start).total_seconds() / 3600 if start else 0.0
    return f"{hours:.1f} hours"


def record(outcome: Outcome, account: EmailAccount) -> str:
    """Write the outcome (durably: `finish`) and rest the account if it says so; returns the
    message's status. A database error is raised: the caller keeps the outcome and records
    it again when the database is back (the message stays `sending` meanwhile)."""
    fields = dict(outcome.fields)
    if outcome.status == Status.SENT:
        fields["sent_at"] = database_now()
    finish(outcome.message, outcome.status, **fields)
    if outcome.rest is not None:
        account.rest(outcome.rest, outcome.rest_reason, now=database_now())
    return outcome.status


def send_one(message: MessageLog, account: EmailAccount) -> str:
    """Send a claimed message and record what happened; returns the new status."""
    return record(attempt(message, account), account)


def expire_stale_claims(now: datetime.datetime | None = None) -> int:
    """Rows left in `sending` by a dead process become `unknown` (never resent)."""
    cutoff = (now or database_now()) - stale_claim()
    return MessageLog.objects.filter(
        status=Status.SENDING, is_test=False, claimed_at__lt=cutoff
    ).update(status=Status.UNKNOWN, error_message=CLAIM_EXPIRED, updated_at=timezone.now())
