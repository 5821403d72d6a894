"""What the send plan of one account starts from, read in a few grouped queries: what it
sent in the last 24 hours (minute by minute), what waits in its queue (by campaign, launch
and minute of queuing), and the sequence steps that will fall due on it (by campaign, step,
start and due minute). Counts, never a row per message."""

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, Min, Q
from django.db.models.functions import Cast, Coalesce, Substr

from campaigns.ab_tests import variants
from campaigns.accounts import warmup
from campaigns.models import (
    AbGroup,
    AbTest,
    Campaign,
    CampaignStep,
    Dispatch,
    EmailAccount,
    Enrollment,
    MessageLog,
)
from campaigns.outbox import claims, senders
from campaigns.reporting.planner.simulation import Batch, DueSteps, Follow, Limits
from campaigns.sequences import schedule

Status = MessageLog.Status
# A queued message is claimed outside any launch (a sequence's), or in one that runs or is
# scheduled to.
CLAIMABLE = (None, Dispatch.Status.RUNNING, Dispatch.Status.SCHEDULED)


@dataclass
class Sources:
    """The simulation's inputs, and the campaigns they name."""

    limits: Limits
    batches: list[Batch] = field(default_factory=list)
    due: list[DueSteps] = field(default_factory=list)
    campaigns: dict[Any, Campaign] = field(default_factory=dict)
    # Messages (or due steps) of paused campaigns: they wait, outside the plan.
    held: dict[Any, int] = field(default_factory=dict)
    # The rest of an A/B test, held until its winner is chosen: how many, and when the
    # choice is due (None while test messages still wait); planned from that moment.
    ab_held: dict[Any, int] = field(default_factory=dict)
    ab_decision: dict[Any, datetime.datetime | None] = field(default_factory=dict)
    steps: dict[Any, list[CampaignStep]] = field(default_factory=dict)

    def follow(self) -> Follow:
        """The tick's own rule for a lead's next step (schedule.due_time)."""

        def following(campaign_id: Any, order: int, started: Any, queued: Any) -> Any:
            step = next((s for s in self.steps.get(campaign_id, []) if s.order > order), None)
            if step is None:
                return None
            campaign = self.campaigns[campaign_id]
            return step.order, schedule.due_time(campaign, started, step, queued + schedule.MIN_GAP)

        return following

    def first_step(self, campaign_id: Any, order: int) -> CampaignStep | None:
        """The step a lead whose next place is `order` gets (inactive steps are skipped)."""
        return next((s for s in self.steps.get(campaign_id, []) if s.order >= order), None)


def minute_of(column: Any) -> Substr:
    """A datetime column's minute as text ("2026-03-02 18:00", in UTC), to group on: Django's
    Trunc calls Python once a row on SQLite, seconds over 100,000 rows."""
    return Substr(Cast(column, CharField()), 1, 16)


def per_minute(account: EmailAccount) -> float:
    """Sends a minute under the account's quota (claims.send_interval); inf for none."""
    interval = claims.send_interval(account).total_seconds()
    return 60 / interval if interval else math.inf


def account_limits(account: EmailAccount, now: datetime.datetime) -> Limits:
    """The account's quota and cap (warm-up included), and what counts against the cap now,
    as claims.sent_in_last_day counts it, minute by minute."""
    since = now - claims.DAY
    counted = Q(sent_at__gte=since) | Q(
        status__in=[Status.SENDING, Status.UNKNOWN], sent_at__isnull=True, claimed_at__gte=since
    )
    history = (
        MessageLog.objects.filter(counted, email_account=account)
        .annotate(at=Coalesce("sent_at", "claimed_at"))
        .annotate(minute=minute_of("at"))
        .values("minute")
        .annotate(first=Min("at"), sends=Count("pk"))
        .values_list("first", "sends")
    )
    return Limits(
        per_minute=per_minute(account),
        cap_at=lambda moment: warmup.effective_daily_limit(account, moment),
        rises_at=lambda moment: warmup.next_rise(account, moment),
        history=[(minute, sends) for minute, sends in history],
        resting_until=account.paused_until,
    )


def sequences_sending_from(account: EmailAccount) -> Q:
    """The sequences whose next steps go out from the account (senders.sending_account)."""
    return Q(type=Campaign.Type.SEQUENCE) & senders.sending_from(account)


def load(account: EmailAccount, now: datetime.datetime) -> Sources:
    """Everything the account's plan starts from, at `now`."""
    sources = Sources(limits=account_limits(account, now))
    _queued(sources, account, now)
    _held_for_winners(sources, account, now)
    _queuing(sources, account, now)
    _due_steps(sources, account)
    return sources


def _queued(sources: Sources, account: EmailAccount, now: datetime.datetime) -> None:
    """The account's queue, as runs of one campaign's messages in claim order."""
    runs = (
        MessageLog.objects.filter(email_account=account, status=Status.QUEUED, is_test=False)
        # The rest of an A/B test waits for its winner: planned once it is released.
        .exclude(ab_group=AbGroup.HELD)
        .annotate(minute=minute_of("created_at"))
        .values(
            "campaign", "campaign__status", "dispatch__status", "dispatch__send_after", "minute"
        )
        .annotate(messages=Count("pk"), first=Min("created_at"))
        .order_by("first")
    )
    for run in runs:
        campaign_id, count = run["campaign"], run["messages"]
        if run["campaign__status"] == Campaign.Status.PAUSED:
            sources.held[campaign_id] = sources.held.get(campaign_id, 0) + count
            continue
        launch = run["dispatch__status"]
        if run["campaign__status"] != Campaign.Status.ACTIVE or launch not in CLAIMABLE:
            continue  # nothing claims them (a cancelled launch's leftovers)
        ready = now
        if launch == Dispatch.Status.SCHEDULED:  # started by the sender at its time
            ready = max(now, run["dispatch__send_after"] or now)
        sources.batches.append(Batch(campaign_id, count, run["first"], ready))
    _campaigns(sources, {*sources.held, *(batch.campaign for batch in sources.batches)})


def _held_for_winners(sources: Sources, account: EmailAccount, now: datetime.datetime) -> None:
    """The rests of A/B tests held for their winner: counted, and planned from the moment
    the choice is due (their place in the queue is their launch's), or, before that is
    known (test messages still wait), left out of the plan and said."""
    held = (
        MessageLog.objects.filter(
            email_account=account,
            status=Status.QUEUED,
            is_test=False,
            ab_group=AbGroup.HELD,
            campaign__status__in=Campaign.LIVE,
        )
        .values("dispatch", "campaign", "campaign__status")
        .annotate(messages=Count("pk"), first=Min("created_at"))
        .order_by("first")
    )
    tests = {
        test.dispatch_id: test
        for test in AbTest.objects.filter(dispatch__in=[row["dispatch"] for row in held])
    }
    for row in held:
        campaign_id, count = row["campaign"], row["messages"]
        if row["campaign__status"] == Campaign.Status.PAUSED:
            sources.held[campaign_id] = sources.held.get(campaign_id, 0) + count
            continue
        test = tests.get(row["dispatch"])
        due = variants.decision_due_at(test) if test else None
        sources.ab_held[campaign_id] = sources.ab_held.get(campaign_id, 0) + count
        sources.ab_decision[campaign_id] = due
        if due is not None:
            sources.batches.append(Batch(campaign_id, count, row["first"], max(now, due)))
    _campaigns(sources, set(sources.ab_held) | set(sources.held))


def _queuing(sources: Sources, account: EmailAccount, now: datetime.datetime) -> None:
    """A large launch still being queued in the background: the leads not queued yet join
    the end of the queue (the few who opted out are counted too)."""
    queuing = Dispatch.objects.filter(
        email_account=account,
        queuing=True,
        status__in=[Dispatch.Status.RUNNING, Dispatch.Status.SCHEDULED],
        campaign__status=Campaign.Status.ACTIVE,
    ).annotate(made=Count("message_logs"))
    for launch in queuing:
        left = launch.total - launch.made
        if left > 0:
            ready = max(now, launch.send_after or now)
            sources.batches.append(Batch(launch.campaign_id, left, now, ready))
            _campaigns(sources, {launch.campaign_id})


def _due_steps(sources: Sources, account: EmailAccount) -> None:
    """The active sequences' leads, grouped by campaign, next step, start and due minute."""
    live = Campaign.objects.filter(sequences_sending_from(account), status__in=Campaign.LIVE)
    groups = list(
        Enrollment.objects.filter(
            campaign__in=live, state=Enrollment.State.ACTIVE, next_due_at__isnull=False
        )
        .annotate(due_minute=minute_of("next_due_at"), start_minute=minute_of("started_at"))
        .values("campaign", "campaign__status", "next_order", "due_minute", "start_minute")
        .annotate(leads=Count("pk"), due=Min("next_due_at"), started=Min("started_at"))
    )
    _campaigns(sources, {group["campaign"] for group in groups})
    for group in groups:
        step = sources.first_step(group["campaign"], group["next_order"])
        if step is None:
            continue  # the tick completes them without a message
        if group["campaign__status"] == Campaign.Status.PAUSED:
            held = sources.held.get(group["campaign"], 0)
            sources.held[group["campaign"]] = held + group["leads"]
            continue
        sources.due.append(
            DueSteps(group["campaign"], group["leads"], step.order, group["due"], group["started"])
        )


def _campaigns(sources: Sources, ids: set[Any]) -> None:
    """Load the campaigns named (and a sequence's active steps) that are not loaded yet."""
    missing = ids - set(sources.campaigns)
    if not missing:
        return
    for campaign in Campaign.objects.filter(pk__in=missing).select_related("organization"):
        sources.campaigns[campaign.pk] = campaign
    steps = CampaignStep.objects.filter(
        campaign__in=missing, campaign__type=Campaign.Type.SEQUENCE, is_active=True
    ).only("pk", "campaign", "order", "offset_days")
    for step in steps.order_by("campaign", "order"):
        sources.steps.setdefault(step.campaign_id, []).append(step)
