"""An account can warm up: its daily cap starts at 20 and rises evenly to its daily limit
over the days chosen; the outbox holds it to the day's cap, and the plan shows the rise."""

import datetime
from io import StringIO

import time_machine
from django.core.management import call_command
from django.urls import reverse

from campaigns.accounts import warmup
from campaigns.launching import blasts
from campaigns.models import EmailAccount, MessageLog
from campaigns.outbox import claims
from campaigns.reporting.planner.plans import account_plan
from tests.conftest import MONDAY_10AM_LA, city_campaign

MONDAY = MONDAY_10AM_LA.date()


def warming(account: EmailAccount, days: int = 4, limit: int = 100) -> EmailAccount:
    EmailAccount.objects.filter(pk=account.pk).update(
        daily_limit=limit, warmup_days=days, warmup_from=MONDAY
    )
    account.refresh_from_db()
    return account


def test_the_cap_rises_evenly_from_20_to_the_daily_limit(account_a):
    account = warming(account_a)
    caps = [warmup.limit_on(account, MONDAY + datetime.timedelta(days=n)) for n in range(-1, 6)]
    assert caps == [20, 20, 40, 60, 80, 100, 100]
    assert warmup.limit_on(warming(account_a, days=0), MONDAY) == 100


def test_the_outbox_holds_a_warming_account_to_the_days_cap(gmail_account, google):
    account = warming(gmail_account)
    with time_machine.travel(MONDAY_10AM_LA, tick=False) as clock:
        blasts.campaign_launch(campaign=city_campaign(account, "Spring", "Pasadena", 25))
        call_command("send_queued", stdout=StringIO())
        assert len(google.sent) == 20
        refused = claims.claim_for_account(account)
        assert refused.reason == claims.DAILY_CAP
        # It may send again at the agency's midnight, when the cap rises to 40.
        assert refused.retry_after == 14 * 3600
        clock.shift(datetime.timedelta(seconds=refused.retry_after))
        call_command("send_queued", stdout=StringIO())
    assert len(google.sent) == 25
    assert not MessageLog.objects.filter(status="queued").exists()


def test_the_plan_shows_the_cap_rising_and_sends_within_it(account_a):
    account = warming(account_a)
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        spring = city_campaign(account, "Spring", "Pasadena", 300)
        blasts.campaign_launch(campaign=spring)
        plan = account_plan(account)
    assert [day.cap for day in plan.days] == [20, 40, 60, 80, 100, 100, 100]
    assert [day.total for day in plan.days] == [20, 40, 60, 80, 100, 0, 0]
    assert plan.warmup_ends == MONDAY + datetime.timedelta(days=4)
    assert plan.cap_now == 20


def test_the_launch_page_and_the_account_page_show_the_warm_up(client_a, account_a):
    account = warming(account_a)
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        spring = city_campaign(account, "Spring", "Pasadena", 30)
        launch = client_a.get(reverse("admin:campaigns_campaign_launch", args=[spring.pk]))
        form = client_a.get(reverse("admin:campaigns_emailaccount_change", args=[account.pk]))
    html = launch.content.decode()
    assert "<dd>20 of 20" in html
    assert "(warming up: 100 a day from March 6)" in html
    assert 'name="warmup_days"' in form.content.decode()
