"""The plan counts what sequences will make due, not only what is queued: each active
lead's next step at its due time, then the steps after it, placed in the campaign's send
window as the tick places them; and a step queued behind a blast waits for the cap."""

import datetime
import zoneinfo

import time_machine

from campaigns.launching import blasts
from campaigns.models import Campaign, EmailAccount
from campaigns.reporting.planner.plans import Launch, account_plan
from campaigns.sequences import schedule
from tests.conftest import city_campaign

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
MONDAY_10AM = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=LA)  # no clock change that month
FRIDAY_6PM = datetime.datetime(2026, 6, 5, 18, 0, tzinfo=LA)
HOUR = datetime.timedelta(hours=1)


def test_each_step_of_a_sequence_is_planned_on_its_day(account_a):
    with time_machine.travel(MONDAY_10AM, tick=False):
        nurture = city_campaign(account_a, "Nurture", "Pasadena", 10, sequence=True)
        schedule.sequence_activate(campaign=nurture)
        plan = account_plan(account_a)
    row = plan.of(nurture)
    # Welcome now, the follow-up on day 3 (Thursday), the offer on day 7 (next Monday).
    assert row is not None and row.messages == 30
    assert [day.sends.get(nurture.pk, 0) for day in plan.days] == [10, 0, 0, 10, 0, 0, 0]
    assert row.first_send == MONDAY_10AM
    assert MONDAY_10AM + datetime.timedelta(days=7) <= row.finish < MONDAY_10AM + 7 * 24.01 * HOUR


def test_steps_fall_due_at_the_next_opening_of_the_send_window(account_a):
    with time_machine.travel(FRIDAY_6PM, tick=False):
        nurture = city_campaign(account_a, "Nurture", "Pasadena", 10, sequence=True)
        schedule.sequence_activate(campaign=nurture)
        weekdays = account_plan(account_a).of(nurture)
        Campaign.objects.filter(pk=nurture.pk).update(send_on_weekends=True, window_end="20:00")
        widened = account_plan(account_a)
    # 18:00 on a Friday is after the window (09:00-17:00, weekdays): Monday 09:00.
    assert weekdays is not None and weekdays.first_send == FRIDAY_6PM + 63 * HOUR
    # The follow-up's day 3 is Monday 18:00, after the window: Tuesday 09:00; the offer's
    # day 7, a Friday 18:00: the Monday after.
    monday_after = datetime.datetime(2026, 6, 15, 9, 0, tzinfo=LA)
    assert weekdays.finish is not None and monday_after <= weekdays.finish < monday_after + HOUR
    # The enrolments keep the due time they got; a window changed since moves later steps.
    later = widened.of(nurture)
    assert later is not None and later.first_send == weekdays.first_send
    friday_after = datetime.datetime(2026, 6, 12, 18, 0, tzinfo=LA)  # now inside the window
    assert later.finish is not None and friday_after <= later.finish < friday_after + HOUR


def test_a_sequence_activated_now_is_planned_before_it_starts(account_a):
    with time_machine.travel(FRIDAY_6PM, tick=False):
        nurture = city_campaign(account_a, "Nurture", "Pasadena", 10, sequence=True)
        row = account_plan(account_a, launch=Launch(nurture, 10)).of(nurture)
    assert row is not None and row.messages == 30
    assert row.first_send == FRIDAY_6PM + 63 * HOUR


def test_due_steps_wait_behind_a_blast_queued_before_them(account_a):
    EmailAccount.objects.filter(pk=account_a.pk).update(daily_limit=40)
    with time_machine.travel(MONDAY_10AM, tick=False):
        blast = city_campaign(account_a, "Spring blast", "Glendale", 50)
        nurture = city_campaign(account_a, "Nurture", "Pasadena", 10, sequence=True)
        blasts.campaign_launch(campaign=blast)
        schedule.sequence_activate(campaign=nurture)
        plan = account_plan(account_a)
    row = plan.of(nurture)
    assert row is not None and row.ahead == (blast,)
    # The cap is spent on the blast today; tomorrow its last 10 go, then the welcomes.
    assert row.first_send is not None
    assert datetime.timedelta(days=1) <= row.first_send - MONDAY_10AM < 24.1 * HOUR
    assert [day.sends.get(nurture.pk, 0) for day in plan.days[:4]] == [0, 10, 0, 10]


def test_an_overdue_step_goes_now_and_the_next_one_20_hours_later_at_least(account_a):
    """Steps left due while nothing sent (say the account needed reconnecting) go at once,
    and the tick keeps each lead's next step at least 20 hours after."""
    with time_machine.travel(MONDAY_10AM, tick=False) as clock:
        nurture = city_campaign(account_a, "Nurture", "Pasadena", 10, sequence=True)
        schedule.sequence_activate(campaign=nurture)
        clock.move_to(MONDAY_10AM + datetime.timedelta(days=3))  # Thursday, nothing sent
        plan = account_plan(account_a)
    row = plan.of(nurture)
    assert row is not None and row.first_send == plan.now
    # Thursday: the welcome; Friday 09:00 (the window's opening after 06:00): the follow-up.
    assert [day.sends.get(nurture.pk, 0) for day in plan.days[:3]] == [10, 10, 0]
