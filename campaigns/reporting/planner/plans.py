"""One send plan per sending account, shared by every campaign that sends from it: when
each campaign finishes given the others ahead of it in the queue, and what goes out each
day. The launch page, the campaign page and the account's Plan page all read it here."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from campaigns.accounts import warmup
from campaigns.models import Campaign, EmailAccount, Enrollment, MessageLog
from campaigns.outbox import senders
from campaigns.reporting.planner import simulation, sources
from campaigns.reporting.planner.simulation import Batch, DueSteps
from campaigns.sequences import schedule

# Finishes are planned this far ahead; a campaign that needs longer says so.
HORIZON = datetime.timedelta(days=366)
CHART_DAYS = 7
CANNOT_SEND = "{account} cannot send until it is reconnected: nothing is planned."
RESTING = (
    "{account} rests until {until} (a Gmail limit or a token failure): nothing goes out before."
)


@dataclass(frozen=True)
class CampaignPlan:
    """One campaign's share of an account's plan."""

    campaign: Campaign
    messages: int  # still to send (queued, and the steps sequences will make due)
    held: int = 0  # waiting while the campaign is paused: not planned
    first_send: datetime.datetime | None = None
    finish: datetime.datetime | None = None  # None: held, or beyond the horizon
    ahead: tuple[Campaign, ...] = ()  # what sends before its first message
    blocked: str = ""  # why nothing of it is planned (the account cannot send)
    # An A/B test's rest, held until the winner is chosen (counted in `messages` too once
    # the choice is due, and planned from then), and when that is (None: not known yet).
    ab_held: int = 0
    ab_decision: datetime.datetime | None = None

    @property
    def waiting(self) -> int:
        """Everything of it still to send: planned, held by a pause, held for a winner."""
        unplanned = self.ab_held if self.ab_decision is None else 0
        return self.messages + self.held + unplanned


@dataclass(frozen=True)
class DayPlan:
    day: datetime.date  # a day of the agency
    cap: int  # the account's cap that day (lower while warming up)
    sends: dict[Any, int]  # campaign id -> messages planned that day

    @property
    def total(self) -> int:
        return sum(self.sends.values())


@dataclass(frozen=True)
class AccountPlan:
    account: EmailAccount
    now: datetime.datetime
    campaigns: list[CampaignPlan]
    days: list[DayPlan]
    sent_last_day: int
    cap_now: int
    blocked: str = ""  # why nothing is planned, or why it starts later

    def of(self, campaign: Campaign) -> CampaignPlan | None:
        return next((row for row in self.campaigns if row.campaign.pk == campaign.pk), None)

    @property
    def warmup_ends(self) -> datetime.date | None:
        """The first day at the full cap, while a warm-up is still under way."""
        last = warmup.last_day(self.account)
        today = timezone.localtime(self.now, warmup.zone_of(self.account)).date()
        return last + datetime.timedelta(days=1) if last and last >= today else None


@dataclass(frozen=True)
class Launch:
    """A launch the plan should include, before it happens (the launch page): `leads`
    messages of a blast queued now, or a sequence's leads enrolled now."""

    campaign: Campaign
    leads: int


def account_plan(
    account: EmailAccount, *, now: datetime.datetime | None = None, launch: Launch | None = None
) -> AccountPlan:
    """The account's plan from `now`: every campaign sending from it, and its next days."""
    now = now or timezone.now()
    account = EmailAccount.objects.select_related("organization").get(pk=account.pk)
    found = sources.load(account, now)
    if launch is not None:
        _include(found, launch, now)
    blocked, until = "", now + HORIZON
    if not account.can_send:
        # Nothing is claimed, and the tick queues no step: everything waits, unplanned.
        blocked, until = CANNOT_SEND.format(account=account.email_address), now
    elif account.paused_until and account.paused_until > now:
        until_text = f"{timezone.localtime(account.paused_until, warmup.zone_of(account)):%H:%M}"
        blocked = RESTING.format(account=account.email_address, until=until_text)
    outcome = simulation.simulate(
        now, found.limits, found.batches, found.due, found.follow(), until
    )
    return AccountPlan(
        account=account,
        now=now,
        campaigns=_campaign_rows(found, outcome, "" if account.can_send else blocked),
        days=_days(account, now, outcome),
        sent_last_day=sum(count for _, count in found.limits.history),
        cap_now=warmup.effective_daily_limit(account, now),
        blocked=blocked,
    )


def _include(found: sources.Sources, launch: Launch, now: datetime.datetime) -> None:
    campaign = launch.campaign
    found.campaigns[campaign.pk] = campaign
    if campaign.type == Campaign.Type.BLAST:
        found.batches.append(Batch(campaign.pk, launch.leads, now, now))
        return
    steps = schedule.active_steps(campaign)
    found.steps[campaign.pk] = steps
    if steps and launch.leads:
        due = schedule.due_time(campaign, now, steps[0], now)
        found.due.append(DueSteps(campaign.pk, launch.leads, steps[0].order, due, now))


def _campaign_rows(
    found: sources.Sources, outcome: simulation.Outcome, blocked: str
) -> list[CampaignPlan]:
    first: dict[Any, datetime.datetime] = {}
    last: dict[Any, datetime.datetime] = {}
    ahead: dict[Any, tuple[Any, ...]] = {}
    for send in outcome.sends:
        if send.campaign not in first:
            first[send.campaign] = send.at
            ahead[send.campaign] = tuple(first)[:-1]
        last[send.campaign] = send.last
    rows = []
    for campaign_id, messages in outcome.planned.items():
        done = not outcome.unsent.get(campaign_id)
        # Done when nothing of it is left unplanned: no held rest whose choice is not due.
        unplanned = campaign_id in found.ab_decision and found.ab_decision[campaign_id] is None
        done = done and not unplanned
        rows.append(
            CampaignPlan(
                campaign=found.campaigns[campaign_id],
                messages=messages,
                held=found.held.pop(campaign_id, 0),
                first_send=first.get(campaign_id),
                finish=last.get(campaign_id) if done else None,
                ahead=tuple(found.campaigns[other] for other in ahead.get(campaign_id, ())),
                blocked=blocked,
                ab_held=found.ab_held.pop(campaign_id, 0),
                ab_decision=found.ab_decision.get(campaign_id),
            )
        )
    rows += [
        CampaignPlan(campaign=found.campaigns[campaign_id], messages=0, held=held)
        for campaign_id, held in found.held.items()
    ]
    rows += [
        CampaignPlan(
            campaign=found.campaigns[campaign_id],
            messages=0,
            ab_held=held,
            ab_decision=found.ab_decision.get(campaign_id),
        )
        for campaign_id, held in found.ab_held.items()
    ]
    never = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    return sorted(rows, key=lambda row: (row.first_send or never, row.campaign.name))


def _days(account: EmailAccount, now: datetime.datetime, outcome: simulation.Outcome) -> list:
    zone = warmup.zone_of(account)
    today = timezone.localtime(now, zone).date()
    days = [today + datetime.timedelta(days=n) for n in range(CHART_DAYS)]
    sends: dict[datetime.date, dict[Any, int]] = {day: {} for day in days}
    for send in outcome.sends:
        day = timezone.localtime(send.at, zone).date()
        if day in sends:
            sends[day][send.campaign] = sends[day].get(send.campaign, 0) + send.count
    return [DayPlan(day, warmup.limit_on(account, day), sends[day]) for day in days]


def accounts_of(campaign: Campaign) -> list[EmailAccount]:
    """The accounts a campaign's waiting messages go out from: those of its queued messages
    (each message names its own), and a sequence's sending account for its next steps."""
    ids = set(
        MessageLog.objects.filter(campaign=campaign, status=MessageLog.Status.QUEUED, is_test=False)
        .order_by()
        .values_list("email_account", flat=True)
        .distinct()
    )
    if campaign.type == Campaign.Type.SEQUENCE:
        waiting = Enrollment.objects.filter(
            campaign=campaign, state=Enrollment.State.ACTIVE, next_due_at__isnull=False
        )
        account = senders.sending_account(campaign)
        if account is not None and waiting.exists():
            ids.add(account.pk)
    return list(EmailAccount.objects.filter(pk__in=ids - {None}).order_by("email_address"))


def campaign_plan(
    campaign: Campaign,
    now: datetime.datetime | None = None,
    accounts: list[EmailAccount] | None = None,
) -> CampaignPlan | None:
    """The campaign's share of the plans of the accounts it sends from (their messages
    summed, the latest finish); None when nothing of it waits."""
    now = now or timezone.now()
    rows = [
        row
        for account in (accounts_of(campaign) if accounts is None else accounts)
        if (row := account_plan(account, now=now).of(campaign)) is not None
    ]
    if not rows:
        return None
    finishes = [row.finish for row in rows if row.finish]
    starts = [row.first_send for row in rows if row.first_send]
    decisions = [row.ab_decision for row in rows if row.ab_held]
    known = [decision for decision in decisions if decision is not None]
    return CampaignPlan(
        campaign=campaign,
        messages=sum(row.messages for row in rows),
        held=sum(row.held for row in rows),
        ab_held=sum(row.ab_held for row in rows),
        ab_decision=None if len(known) < len(decisions) else max(known, default=None),
        first_send=min(starts, default=None),
        # Finished when its last account is done; not known while any account is not.
        finish=max(finishes) if len(finishes) == len(rows) else None,
        ahead=tuple({c.pk: c for row in rows for c in row.ahead}.values()),
        blocked=next((row.blocked for row in rows if row.blocked), ""),
    )
