"""Charts people can read: a legend, axes with values, bars stacked by outcome (each
message in one stack), and each step's funnel drawn as a chart."""

import datetime
import json

import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignStep, MessageLog
from campaigns.reporting import stats
from crm.models import Lead

Status = MessageLog.Status
NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
OUTCOMES = [
    "Sent, no reaction yet",
    "Opened",
    "Clicked",
    "Replied",
    "Unsubscribed",
    "Bounced",
    "Failed",
]


def sent(campaign, n, days_ago=0, step=None, **events):
    """A message sent `days_ago`, with the events given (each at the time it was sent)."""
    lead = Lead.objects.create(
        organization=campaign.organization, name=f"L{n}", email=f"l{n}@example.com"
    )
    at = timezone.now() - datetime.timedelta(days=days_ago, minutes=5)
    status = events.pop("status", Status.SENT)
    return MessageLog.objects.create(
        organization=campaign.organization,
        campaign=campaign,
        campaign_step=step or campaign.steps.first(),
        lead=lead,
        to_email=lead.email,
        status=status,
        sent_at=None if status == Status.FAILED else at,
        **{f"{name}_at": at for name in events},
    )


def every_outcome(campaign, days_ago=0):
    sent(campaign, 1, days_ago)
    sent(campaign, 2, days_ago, opened=True)
    sent(campaign, 3, days_ago, opened=True, clicked=True)
    sent(campaign, 4, days_ago, opened=True, clicked=True, replied=True)
    sent(campaign, 5, days_ago, opened=True, unsubscribed=True)
    sent(campaign, 6, days_ago, bounced=True, replied=True)  # an auto-answer to a bounce
    sent(campaign, 7, status=Status.FAILED)


def stacks(chart_json):
    chart = json.loads(chart_json)
    return {dataset["label"]: dataset for dataset in chart["datasets"]}


def assert_readable(options_json, *, stacked):
    options = json.loads(options_json)
    assert options["plugins"]["legend"]["display"] is True
    values = options["scales"]["x" if options["indexAxis"] == "y" else "y"]
    assert values["ticks"]["precision"] == 0 and values["title"]["text"] == "Messages"
    assert options["scales"]["x"]["stacked"] is stacked
    assert options["scales"]["y"]["stacked"] is stacked


@time_machine.travel(NOON, tick=False)
def test_the_home_chart_stacks_each_message_once_in_the_furthest_outcome_it_reached(
    client_a, campaign_a
):
    every_outcome(campaign_a)
    response = client_a.get(reverse("admin:index"))
    assert_readable(response.context["chart_options"], stacked=True)
    series = stacks(response.context["chart"])
    assert list(series) == OUTCOMES
    assert [series[label]["data"][-1] for label in OUTCOMES] == [1, 1, 1, 1, 1, 1, 1]
    assert len({dataset["backgroundColor"] for dataset in series.values()}) == len(OUTCOMES)
    page = response.content.decode()
    assert 'data-type="bar"' in page and "data-options=" in page


@time_machine.travel(NOON, tick=False)
def test_past_days_summed_ahead_keep_the_same_stacks(client_a, campaign_a):
    every_outcome(campaign_a, days_ago=3)
    stats.refresh()
    series = stacks(client_a.get(reverse("admin:index")).context["chart"])
    assert [series[label]["data"][-4] for label in OUTCOMES[:-1]] == [1, 1, 1, 1, 1, 1]


def test_the_campaign_page_draws_the_funnel_of_each_step(client_a, campaign_a):
    Campaign.objects.filter(pk=campaign_a.pk).update(
        status=Campaign.Status.ACTIVE, track_opens=True, track_clicks=True
    )
    campaign_a.refresh_from_db()
    second = CampaignStep.objects.create(
        campaign=campaign_a, order=2, name="Follow-up", subject="Again", body_template="<p>2</p>"
    )
    every_outcome(campaign_a)
    sent(campaign_a, 8, step=second, opened=True)
    response = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    results = response.context["results"]
    assert_readable(results["chart_options"], stacked=True)
    assert_readable(results["funnel_options"], stacked=False)
    funnel = json.loads(results["funnel_chart"])
    assert funnel["labels"] == [["Step 1 · Hi A"], ["Follow-up"]]
    assert {d["label"]: d["data"] for d in funnel["datasets"]} == {
        "Sent": [6, 1],
        "Opened": [4, 1],
        "Clicked": [2, 0],
        "Replied": [2, 0],
    }
    assert 'id="funnel-chart"' in response.content.decode()


def test_the_funnel_leaves_out_what_the_campaign_did_not_track(client_a, campaign_a):
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.COMPLETED)
    sent(campaign_a, 1, replied=True)
    response = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    funnel = json.loads(response.context["results"]["funnel_chart"])
    assert [d["label"] for d in funnel["datasets"]] == ["Sent", "Replied"]
    assert "Opens are not tracked in this campaign." in response.content.decode()


def test_a_home_with_nothing_sent_says_so_instead_of_drawing_an_empty_chart(client_a, lead_a):
    response = client_a.get(reverse("admin:index"))
    assert response.context["chart_empty"] is True
    page = response.content.decode()
    assert "Nothing was sent in the last 14 days." in page and 'data-type="bar"' not in page
