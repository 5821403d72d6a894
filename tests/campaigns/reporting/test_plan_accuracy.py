"""The plan is what the sender then does: with time frozen, an account's plan is made for
two blasts (one scheduled) and a sequence sharing its cap; then the real sender runs
(send_queued and the sequence tick, through the Gmail stand-in) as time moves from one
wake-up to the next, and each campaign's last message goes out within 5% of the time the
plan said it would take."""

import datetime
from io import StringIO

import time_machine
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Dispatch, EmailAccount, Enrollment, MessageLog
from campaigns.outbox import claims
from campaigns.reporting.planner.plans import account_plan
from campaigns.sequences import schedule
from tests.conftest import MONDAY_10AM_LA, city_campaign

MONDAY_8AM_LA = MONDAY_10AM_LA - datetime.timedelta(hours=2)
TOLERANCE = 0.05
MINUTE = datetime.timedelta(minutes=1)


def next_wake(account: EmailAccount) -> datetime.datetime | None:
    """When the sending service would next get something done: the cap freeing (the
    claim says when), a step falling due (its tick), a scheduled launch starting."""
    now = timezone.now()
    wakes = []
    claim = claims.claim_for_account(account)
    assert not claim.messages  # send_queued left nothing that could go now
    if claim.retry_after is not None:
        wakes.append(now + datetime.timedelta(seconds=claim.retry_after))
    due = Enrollment.objects.filter(state="active", next_due_at__gt=now).aggregate(
        at=Min("next_due_at")
    )["at"]
    scheduled = Dispatch.objects.filter(status="scheduled").aggregate(at=Min("send_after"))["at"]
    wakes += [moment for moment in (due, scheduled) if moment]
    return min(wakes, default=None)


def run_the_sender(clock, account: EmailAccount) -> None:
    for _ in range(200):
        schedule.tick()
        call_command("send_queued", stdout=StringIO(), stderr=StringIO())
        wake = next_wake(account)
        if wake is None:
            return
        clock.move_to(wake)
    raise AssertionError("the sender never ran out of work")


def test_each_campaign_finishes_when_the_plan_said_within_5_percent(gmail_account, google):
    EmailAccount.objects.filter(pk=gmail_account.pk).update(daily_limit=10)
    with time_machine.travel(MONDAY_8AM_LA, tick=False) as clock:
        spring = city_campaign(gmail_account, "Spring blast", "Pasadena", 24)
        open_house = city_campaign(gmail_account, "Open house", "Glendale", 12)
        nurture = city_campaign(gmail_account, "Nurture", "Burbank", 8, sequence=True)
        blasts.campaign_launch(campaign=spring)
        clock.shift(MINUTE)
        # Scheduled for Tuesday noon: then its messages, queued Monday, come before the
        # sequence's steps queued since.
        blasts.campaign_launch(campaign=open_house, send_after=MONDAY_8AM_LA.replace(day=3))
        clock.shift(MINUTE)
        schedule.sequence_activate(campaign=nurture)
        start = timezone.now()
        plan = account_plan(gmail_account)
        run_the_sender(clock, gmail_account)

    forecast = {row.campaign.name: row for row in plan.campaigns}
    actual = MessageLog.objects.values("campaign__name").annotate(last=Max("sent_at"))
    finished = {row["campaign__name"]: row["last"] for row in actual}
    assert set(forecast) == set(finished) == {"Spring blast", "Open house", "Nurture"}
    for name, row in forecast.items():
        sent = MessageLog.objects.filter(campaign__name=name, status="sent").count()
        assert sent == row.messages, name
        took = finished[name] - start
        assert abs(row.finish - finished[name]) <= TOLERANCE * took, (name, row, finished[name])
    # The campaigns did share the cap: none finished as if it had the account alone.
    assert finished["Spring blast"] - start >= datetime.timedelta(days=2)
    assert finished["Open house"] - start >= datetime.timedelta(days=3)
    assert forecast["Open house"].ahead == (spring,)
    assert len(google.sent) == 24 + 12 + 8 * 3
