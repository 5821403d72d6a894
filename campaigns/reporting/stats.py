"""The admin home's per-day figures, summed ahead of time into DailyStat.

With millions of messages, counting the last 30 days of an agency on every view of the home
page reads hundreds of thousands of rows (seconds on PostgreSQL). So the past days are
summed every few minutes by `refresh` (a periodic job, campaigns/periodic/jobs.py; `manage.py
refresh_stats` does it from cron, and the home page does it itself when the sums are older
than MAX_AGE), and the home reads a few hundred rows. Days from `StatsWindow.until` on
(today, and yesterday until the first refresh after midnight) are always counted live, on
the (organization, sent_at) index: today's sends show at once; opens and replies on
earlier days show within minutes.

Days are the server's (settings.TIME_ZONE), whichever zone the page is shown in: the sums
are shared by every viewer, and a sum and a live count must cut days at the same moment.
"""

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaigns.models import (
    OUTCOMES,
    Campaign,
    DailyStat,
    MessageLog,
    MessageLogQuerySet,
    StatsWindow,
)

Status = MessageLog.Status
KEEP_DAYS = 31  # the home's longest window is 30 days, today included
MAX_AGE = datetime.timedelta(minutes=15)
REFRESH_EVERY = datetime.timedelta(minutes=5)
# Counted on the day a message was sent (its cohort): each outcome it reached since
# (OUTCOMES).
# The same messages counted once each, in the furthest outcome they reached (a bounce
# outranks an opt-out, which outranks a reply, then a click, then an open): the chart's
# stacks add up to the messages sent. Sent with none of these: "sent" minus them all.
_NOT_BOUNCED = Q(bounced_at__isnull=True)
_NOR_UNSUBSCRIBED = _NOT_BOUNCED & Q(unsubscribed_at__isnull=True)
_NOR_REPLIED = _NOR_UNSUBSCRIBED & Q(replied_at__isnull=True)
FURTHEST = {
    "furthest_unsubscribed": Q(unsubscribed_at__isnull=False) & _NOT_BOUNCED,
    "furthest_replied": Q(replied_at__isnull=False) & _NOR_UNSUBSCRIBED,
    "furthest_clicked": Q(clicked_at__isnull=False) & _NOR_REPLIED,
    "furthest_opened": Q(opened_at__isnull=False, clicked_at__isnull=True) & _NOR_REPLIED,
}
FIGURES = (*OUTCOMES, "failed", *FURTHEST)


def day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time()), timezone.get_default_timezone()
    )


def today(now: datetime.datetime) -> datetime.date:
    """The day `now` falls on, in the zone the figures count days in."""
    return timezone.localdate(now, timezone.get_default_timezone())


def count_by_campaign_day(
    logs: MessageLogQuerySet, start: datetime.datetime, end: datetime.datetime | None = None
) -> dict[tuple[Any, Any, datetime.date], dict[str, int]]:
    """{(organization id, campaign id, day): figures} for messages sent, and failures
    recorded, from `start` (to `end`): two aggregate queries on indexed ranges."""
    sent = logs.filter(sent_at__gte=start)
    failed = logs.filter(status=Status.FAILED, updated_at__gte=start)
    if end is not None:
        sent, failed = sent.filter(sent_at__lt=end), failed.filter(updated_at__lt=end)
    figures: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for row in sent.annotate(
        day=TruncDate("sent_at", tzinfo=timezone.get_default_timezone())
    ).funnel_by(
        "organization",
        "campaign",
        "day",
        stages=OUTCOMES,
        **{name: Count("pk", filter=q) for name, q in FURTHEST.items()},
    ):
        key = (row.pop("organization"), row.pop("campaign"), row.pop("day"))
        figures[key].update(row)
    for row in (
        failed.annotate(day=TruncDate("updated_at", tzinfo=timezone.get_default_timezone()))
        .values("organization", "campaign", "day")
        .annotate(failed=Count("pk"))
    ):
        figures[(row["organization"], row["campaign"], row["day"])]["failed"] = row["failed"]
    return figures


def refresh(now: datetime.datetime | None = None) -> StatsWindow:
    """Sum the KEEP_DAYS days before today into DailyStat, replacing what was there."""
    now = now or timezone.now()
    until = today(now)
    since = until - datetime.timedelta(days=KEEP_DAYS)
    figures = count_by_campaign_day(
        MessageLog.objects.filter(is_test=False), day_start(since), day_start(until)
    )
    rows = [
        DailyStat(organization_id=org, campaign_id=campaign, day=day, **counts)
        for (org, campaign, day), counts in figures.items()
    ]
    values = {"since": since, "until": until, "refreshed_at": now}
    with transaction.atomic():
        # The window's row is the lock: two refreshes at once take turns.
        window = StatsWindow.objects.select_for_update().filter(pk=1).first()
        if window is None:
            try:
                with transaction.atomic():
                    window = StatsWindow.objects.create(pk=1, **values)
            except IntegrityError:  # another refresh made it first: wait for its lock
                window = StatsWindow.objects.select_for_update().get(pk=1)
        DailyStat.objects.all().delete()
        DailyStat.objects.bulk_create(rows, batch_size=1000)
        for name, value in values.items():
            setattr(window, name, value)
        window.save()
    return window


def refresh_when_due(now: datetime.datetime | None = None) -> int:
    """Sum again if the sums are older than REFRESH_EVERY (or missing): 1 if it did, else 0.
    The time of the last refresh is in the database, so every driver that runs the periodic
    jobs keeps the same rhythm; two refreshes at once take turns (see `refresh`)."""
    now = now or timezone.now()
    last = StatsWindow.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
    if last is not None and now - last < REFRESH_EVERY:
        return 0
    refresh(now)
    return 1


def current_window(now: datetime.datetime) -> StatsWindow:
    """The sums, refreshed first if they are missing or older than MAX_AGE."""
    window = StatsWindow.objects.filter(pk=1).first()
    if window is None or window.refreshed_at < now - MAX_AGE:
        window = refresh(now)
    return window


@dataclass
class Figures:
    """An agency's figures over the home's 30 days: per day, and per campaign."""

    by_day: dict[datetime.date, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    )
    by_campaign: dict[Any, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    )
    refreshed_at: datetime.datetime | None = None

    def add(self, campaign: Any, day: datetime.date, counts: dict[str, int]) -> None:
        for name in FIGURES:
            self.by_day[day][name] += counts[name]
            self.by_campaign[campaign][name] += counts[name]

    def total(self, name: str, since: datetime.date) -> int:
        return sum(counts[name] for day, counts in self.by_day.items() if day >= since)

    def tracked(self, flag: str) -> tuple[uuid.UUID, ...]:
        """The ids of the campaigns (with figures here) that tracked opens, or clicks."""
        return tuple(
            Campaign.objects.filter(pk__in=list(self.by_campaign), **{flag: True}).values_list(
                "pk", flat=True
            )
        )

    def over(self, campaigns: tuple[uuid.UUID, ...], name: str) -> int:
        return sum(self.by_campaign[pk][name] for pk in campaigns)


def figures(organizations: list[Any], now: datetime.datetime, days: int = 30) -> Figures:
    """The last `days` days (today included) of these organizations' messages: the sums
    for the days DailyStat holds, the rest counted live."""
    window = current_window(now)
    start = today(now) - datetime.timedelta(days=days - 1)
    result = Figures(refreshed_at=window.refreshed_at)
    stored = DailyStat.objects.filter(
        organization__in=organizations, day__gte=max(start, window.since), day__lt=window.until
    )
    for stat in stored.values("campaign", "day", *FIGURES):
        result.add(stat.pop("campaign"), stat.pop("day"), stat)
    live_from = max(start, window.until)
    logs = MessageLog.objects.filter(organization__in=organizations, is_test=False)
    for (_, campaign, day), counts in count_by_campaign_day(logs, day_start(live_from)).items():
        result.add(campaign, day, counts)
    return result
