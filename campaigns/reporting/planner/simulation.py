"""The send plan's arithmetic: what one account will send, and when, as counts.

It plays the outbox's rules forward from now: messages are claimed in their queue order
(created_at, as the claim takes them), a batch only once it may be claimed (a scheduled
launch at its time, a sequence's step when it falls due and the tick queues it, behind
what is queued already), at most the per-minute quota, and at most the cap within any 24
hours, counting what was sent in the last 24 hours. Time moves from one event to the next
(a minute of sending, the cap freeing, a step falling due), never message by message, so a
plan of 100,000 messages takes a few thousand steps."""

import datetime
import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(hours=24)


@dataclass
class Batch:
    """Messages of one campaign that hold one place in the queue."""

    campaign: Any
    count: int
    queued_at: datetime.datetime  # their place in the claim order
    ready_at: datetime.datetime  # claimed from then on (a scheduled launch starts later)


@dataclass(frozen=True)
class DueSteps:
    """Leads of a sequence whose step `order` falls due at `due_at`: the tick then queues
    one message each, and their next step falls due later (`Limits.follow`)."""

    campaign: Any
    count: int
    order: int
    due_at: datetime.datetime
    started_at: datetime.datetime


# (campaign, step order, the leads' start, when the step was queued) -> the next step's
# order and due time, or None after the last step.
Follow = Callable[[Any, int, datetime.datetime, datetime.datetime], tuple[int, Any] | None]


@dataclass
class Limits:
    """The account's side: its quota, its cap at a moment, what it sent lately."""

    per_minute: float  # math.inf when unpaced
    cap_at: Callable[[datetime.datetime], int]
    rises_at: Callable[[datetime.datetime], datetime.datetime | None] = lambda moment: None
    history: list[tuple[datetime.datetime, int]] = field(default_factory=list)
    resting_until: datetime.datetime | None = None


@dataclass(frozen=True)
class Send:
    """`count` messages of `campaign`, sent from `at`, one every `spacing`."""

    at: datetime.datetime
    campaign: Any
    count: int
    spacing: datetime.timedelta

    @property
    def last(self) -> datetime.datetime:
        return self.at + self.spacing * (self.count - 1)


@dataclass
class Outcome:
    sends: list[Send] = field(default_factory=list)
    planned: dict[Any, int] = field(default_factory=dict)  # messages per campaign
    unsent: dict[Any, int] = field(default_factory=dict)  # left when the plan ends


def simulate(
    now: datetime.datetime,
    limits: Limits,
    batches: Iterable[Batch],
    due: Iterable[DueSteps],
    follow: Follow,
    until: datetime.datetime,
) -> Outcome:
    """Every send from `now` until `until`, in order."""
    outcome = Outcome()
    order = itertools.count()
    queue: list = []  # ready batches by claim order
    later: list = []  # batches not ready yet, by readiness
    steps: list = []  # sequence steps by due time
    for batch in batches:
        heapq.heappush(later, (batch.ready_at, next(order), batch))
        _plan(outcome, batch.campaign, batch.count)
    for item in due:
        heapq.heappush(steps, (item.due_at, next(order), item))
    window = deque(sorted(limits.history))
    in_window = sum(count for _, count in window)
    per_step, step = _pace(limits.per_minute)
    spacing = step / per_step if math.isfinite(limits.per_minute) else datetime.timedelta(0)
    moment = max(now, limits.resting_until or now)
    while moment < until:
        while steps and steps[0][0] <= moment:
            _, _, item = heapq.heappop(steps)
            # The tick queues a step when it falls due (one overdue already: at the next
            # tick, now), even while the account rests.
            at = max(item.due_at, now)
            heapq.heappush(queue, (at, next(order), Batch(item.campaign, item.count, at, at)))
            _plan(outcome, item.campaign, item.count)
            following = follow(item.campaign, item.order, item.started_at, at)
            if following is not None:
                following_order, following_due = following
                later_item = DueSteps(
                    item.campaign, item.count, following_order, following_due, item.started_at
                )
                heapq.heappush(steps, (following_due, next(order), later_item))
        while later and later[0][0] <= moment:
            _, position, batch = heapq.heappop(later)
            heapq.heappush(queue, (batch.queued_at, position, batch))
        while window and window[0][0] + DAY <= moment:
            in_window -= window.popleft()[1]
        room = limits.cap_at(moment) - in_window
        if queue and room > 0:
            taken = _take(queue, min(room, per_step), moment, spacing, outcome)
            window.append((moment, taken))
            in_window += taken
        following_moment = _next_moment(moment, queue, room > per_step, step, window, limits)
        events = [following_moment, steps[0][0] if steps else None, later[0][0] if later else None]
        upcoming = [event for event in events if event is not None]
        if not upcoming:
            break
        moment = max(min(upcoming), moment + datetime.timedelta(microseconds=1))
    for _, _, batch in [*queue, *later]:
        outcome.unsent[batch.campaign] = outcome.unsent.get(batch.campaign, 0) + batch.count
    for _, _, item in steps:
        outcome.unsent[item.campaign] = outcome.unsent.get(item.campaign, 0) + item.count
        _plan(outcome, item.campaign, item.count)
    return outcome


def _pace(per_minute: float) -> tuple[int, datetime.timedelta]:
    """How many may go per step of the simulation, and the step: a minute, or one send's
    interval when the quota allows less than one a minute."""
    if not math.isfinite(per_minute):
        return 2**62, MINUTE
    if per_minute >= 1:
        return int(per_minute), MINUTE
    return 1, datetime.timedelta(minutes=1 / per_minute)


def _plan(outcome: Outcome, campaign: Any, count: int) -> None:
    outcome.planned[campaign] = outcome.planned.get(campaign, 0) + count


def _take(
    queue: list,
    wanted: int,
    moment: datetime.datetime,
    spacing: datetime.timedelta,
    outcome: Outcome,
) -> int:
    """Send up to `wanted` of the queue's first messages at `moment`; returns how many."""
    taken = 0
    while queue and taken < wanted:
        batch = queue[0][2]
        count = min(batch.count, wanted - taken)
        outcome.sends.append(Send(moment + spacing * taken, batch.campaign, count, spacing))
        taken += count
        batch.count -= count
        if not batch.count:
            heapq.heappop(queue)
    return taken


def _next_moment(
    moment: datetime.datetime,
    queue: list,
    paced: bool,
    step: datetime.timedelta,
    window: deque,
    limits: Limits,
) -> datetime.datetime | None:
    """When the queue may send again: the next step while the quota holds it back, else
    when the cap frees (the oldest send leaves the 24 hours, or a warm-up raises it)."""
    if not queue:
        return None
    if paced:
        return moment + step
    frees = [window[0][0] + DAY] if window else []
    rise = limits.rises_at(moment)
    return min([*frees, rise] if rise else frees, default=None)
