"""Two blasts on one account share its cap: the one queued second finishes after the first,
the plan's days add up to no more than the cap, and a launch not made yet is planned behind
both."""

import datetime

import time_machine

from campaigns.launching import blasts
from campaigns.reporting.planner.plans import Launch, account_plan
from tests.conftest import MONDAY_10AM_LA, city_campaign, two_blasts

DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)
PACE = datetime.timedelta(seconds=0.4)  # Gmail's quota: 150 sends a minute


def test_two_blasts_share_the_daily_cap_in_queue_order(account_a):
    with time_machine.travel(MONDAY_10AM_LA, tick=False) as clock:
        spring, open_house = two_blasts(account_a, clock)
        plan = account_plan(account_a)

    first, second = plan.campaigns
    assert (first.campaign, second.campaign) == (spring, open_house)
    assert (first.messages, second.messages) == (60, 30)
    # Day one: 40 of Spring. Day two, when those leave the 24 hours: Spring's last 20 and
    # 20 of the open house. Day three: the open house's last 10.
    assert first.first_send == plan.now
    assert plan.now + DAY <= first.finish < plan.now + DAY + MINUTE
    assert plan.now + 2 * DAY <= second.finish < plan.now + 2 * DAY + MINUTE
    assert second.ahead == (spring,) and first.ahead == ()
    by_day = [(day.sends.get(spring.pk, 0), day.sends.get(open_house.pk, 0)) for day in plan.days]
    assert by_day[:4] == [(40, 0), (20, 20), (0, 10), (0, 0)]
    assert all(day.total <= day.cap == 40 for day in plan.days)


def test_a_launch_is_planned_behind_what_is_queued_on_the_account(account_a):
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        spring, _ = two_blasts(account_a)
        draft = city_campaign(account_a, "Price drops", "Burbank", 10)
        alone = account_plan(account_a, launch=Launch(draft, 10)).of(draft)
        assert alone is not None
        assert alone.ahead == (spring,)
        # Spring's last 20 go first on day two (one every 0.4 s); the draft's 10 right after.
        assert alone.first_send == MONDAY_10AM_LA + DAY + 20 * PACE
        assert alone.finish == alone.first_send + 9 * PACE


def test_the_per_minute_quota_spreads_a_large_day(account_a):
    """Gmail's quota (150 sends a minute by default) stretches 500 sends over 4 minutes."""
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        big = city_campaign(account_a, "Big", "Pasadena", 500)
        blasts.campaign_launch(campaign=big)
        row = account_plan(account_a).of(big)
    assert row is not None and row.finish is not None
    assert 3 * MINUTE < row.finish - MONDAY_10AM_LA < 4 * MINUTE


def test_a_paused_campaign_is_held_and_leaves_the_cap_to_the_others(account_a):
    with time_machine.travel(MONDAY_10AM_LA, tick=False) as clock:
        spring, open_house = two_blasts(account_a, clock)
        spring.pause()
        plan = account_plan(account_a)
    held, planned = plan.of(spring), plan.of(open_house)
    assert held is not None and (held.messages, held.held, held.finish) == (0, 60, None)
    assert planned is not None and planned.ahead == ()
    assert planned.finish == plan.now + 29 * PACE  # all 30 today
