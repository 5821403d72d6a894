"""The send plan counts what an A/B test holds for its winner: "80 held until the winner is
chosen", never "Nothing waits to be sent" while they wait; planned from the moment the
choice is due. A finished campaign's page has no plan line left (no dash and dot)."""

import re

import time_machine
from django.urls import reverse

from campaigns.models import Campaign, MessageLog
from campaigns.reporting.planner import forecast, words
from campaigns.reporting.planner.plans import account_plan
from tests.conftest import MONDAY_10AM_LA, ab_blast, send_all


def test_the_rest_held_for_the_winner_is_counted_before_the_test_is_out(
    campaign_a, sandbox_account
):
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        ab_blast(campaign_a, leads=100, share=20)
        assert MessageLog.objects.filter(ab_group="held").count() == 80
        row = account_plan(sandbox_account).of(campaign_a)
        text = words.finish(row)
    assert text != words.NOTHING_WAITS
    assert row.waiting == 100
    assert (
        text == "80 held until the winner is chosen, 4 hours after the last test message is sent."
    )


def test_once_the_test_is_out_the_rest_is_planned_from_the_choice(
    client_a, campaign_a, sandbox_account
):
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        ab_blast(campaign_a, leads=100, share=20)
        assert send_all(sandbox_account) == 20  # the test messages; the rest is held
        row = account_plan(sandbox_account).of(campaign_a)
        text = words.finish(row)
        assert row.messages == 80 and row.finish is not None
        # Four hours after the last test message (10:00): the rest goes out at once.
        assert re.fullmatch(
            r"Finishes today at (\d\d:00); 80 held until the winner is chosen \(today at "
            r"\1\), then sent\.",
            text,
        ), text
        page = client_a.get(reverse("admin:campaigns_emailaccount_plan", args=[sandbox_account.pk]))
        assert "80 held until the winner is chosen" in page.content.decode()
        assert forecast.campaign_forecast(campaign_a)["finish"] == text


def test_a_finished_campaign_shows_no_plan_line(client_a, campaign_a, sandbox_account):
    ab_blast(campaign_a, leads=10, share=100)
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.COMPLETED)
    MessageLog.objects.filter(campaign=campaign_a).update(status=MessageLog.Status.SENT)
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    html = page.content.decode()
    assert 'id="planned-finish"' not in html and "–·" not in html and "– ·" not in html
    live = client_a.get(reverse("admin:campaigns_campaign_progress", args=[campaign_a.pk]))
    assert live.json()["plan"] is None
