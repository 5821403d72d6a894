"""The send plan in the admin: each account's Plan page (its next 7 days by campaign, each
campaign's finish), linked from the accounts list; the launch page's finish behind what is
ahead on the account; the campaign page's planned finish. Another agency's plan is 404."""

import json

import time_machine
from django.urls import reverse
from django.utils.html import escape

from campaigns.launching import blasts
from campaigns.models import EmailAccount
from campaigns.reporting.planner.chart import CAP_LABEL
from campaigns.reporting.planner.plans import CANNOT_SEND
from tests.conftest import MONDAY_10AM_LA, city_campaign, two_blasts


def plan_url(account: EmailAccount) -> str:
    return reverse("admin:campaigns_emailaccount_plan", args=[account.pk])


def test_the_plan_page_draws_the_week_by_campaign_and_says_when_each_finishes(client_a, account_a):
    with time_machine.travel(MONDAY_10AM_LA, tick=False) as clock:
        two_blasts(account_a, clock)
        response = client_a.get(plan_url(account_a))
    assert response.status_code == 200
    chart = json.loads(response.context["chart"])
    assert [dataset["label"] for dataset in chart["datasets"]] == [
        "Spring blast",
        "Open house",
        CAP_LABEL,
    ]
    assert chart["labels"][:2] == ["Mon, Mar 2", "Tue, Mar 3"]
    assert chart["datasets"][0]["data"][:3] == [40, 20, 0]
    assert chart["datasets"][1]["data"][:3] == [0, 20, 10]
    assert chart["datasets"][2]["data"] == [40] * 7
    html = response.content.decode()
    assert "Finishes Tue, Mar 3, 10:01 AM." in html  # planned at 10:01, after both launches
    assert (
        "Finishes Wed, Mar 4, 10:01 AM, after Spring blast, which is ahead of it in the queue."
        in html
    )


def test_the_accounts_list_and_page_link_to_the_plan(client_a, account_a):
    listing = client_a.get(reverse("admin:campaigns_emailaccount_changelist"))
    assert plan_url(account_a) in listing.content.decode()
    page = client_a.get(reverse("admin:campaigns_emailaccount_change", args=[account_a.pk]))
    assert plan_url(account_a) in page.content.decode()


def test_another_agencys_plan_is_not_found(client_a, account_b):
    assert client_a.get(plan_url(account_b)).status_code == 404


def test_an_idle_account_says_nothing_waits(client_a, account_a):
    html = client_a.get(plan_url(account_a)).content.decode()
    assert 'id="plan-empty"' in html


def test_the_launch_page_plans_the_finish_behind_what_is_ahead(client_a, account_a):
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        _, open_house = two_blasts(account_a)
        html = client_a.get(
            reverse("admin:campaigns_campaign_launch", args=[open_house.pk])
        ).content.decode()
    # Spring's 60 take today's 40 and tomorrow's first 20; the open house's 30 follow:
    # 20 tomorrow, the last 10 on Wednesday at 10:00.
    assert '<span id="plan-finish">March 4, 2026, 10:00 AM</span>' in html
    assert escape("after Spring blast, which is ahead of it in the queue") in html
    assert plan_url(account_a) in html


def test_the_campaign_page_shows_its_planned_finish(client_a, account_a):
    with time_machine.travel(MONDAY_10AM_LA, tick=False) as clock:
        _, open_house = two_blasts(account_a, clock)
        page = client_a.get(reverse("admin:campaigns_campaign_change", args=[open_house.pk]))
        poll = client_a.get(reverse("admin:campaigns_campaign_progress", args=[open_house.pk]))
    finish = "Finishes Wed, Mar 4, 10:01 AM, after Spring blast, which is ahead of it in the queue."
    assert escape(finish) in page.content.decode()
    assert poll.json()["plan"]["finish"] == finish
    assert poll.json()["plan"]["accounts"] == [
        {"address": account_a.email_address, "url": plan_url(account_a)}
    ]


def test_an_account_that_cannot_send_plans_nothing_and_says_why(client_a, account_a):
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        spring = city_campaign(account_a, "Spring blast", "Pasadena", 5)
        blasts.campaign_launch(campaign=spring)
        # Reconnection needed, the campaign still active (as one sending from the primary
        # account by default, which a disconnection does not pause).
        EmailAccount.objects.filter(pk=account_a.pk).update(needs_reconnect=True)
        html = client_a.get(plan_url(account_a)).content.decode()
        poll = client_a.get(reverse("admin:campaigns_campaign_progress", args=[spring.pk]))
    blocked = CANNOT_SEND.format(account=account_a.email_address)
    assert 'id="plan-blocked"' in html and escape(blocked) in html
    assert poll.json()["plan"]["finish"] == blocked
