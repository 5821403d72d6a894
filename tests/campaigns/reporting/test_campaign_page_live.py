"""The whole campaign page updates from one poll: progress.json carries the delivery line,
the per-step table, the chart and the failure reasons, all counted together, and the page
marks every figure it shows with the place in that answer it comes from."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import MessageLog
from tests.conftest import launch_to_leads

Status = MessageLog.Status


@pytest.fixture
def launched(campaign_a):
    return launch_to_leads(campaign_a, 6)


def send(campaign, count: int, **fields) -> None:
    waiting = MessageLog.objects.filter(campaign=campaign, status=Status.QUEUED)
    pks = list(waiting.values_list("pk", flat=True)[:count])
    MessageLog.objects.filter(pk__in=pks).update(
        **{"status": Status.SENT, "sent_at": timezone.now(), **fields}
    )


def progress(client, campaign) -> dict:
    return client.get(reverse("admin:campaigns_campaign_progress", args=[campaign.pk])).json()


def test_the_per_step_table_moves_with_the_delivery_line(client_a, launched):
    before = progress(client_a, launched)
    assert (before["sent"], before["funnel"][0]["sent"], before["funnel"][0]["queued"]) == (0, 0, 6)
    send(launched, 4)
    after = progress(client_a, launched)
    assert after["sent"] == after["funnel"][0]["sent"] == 4
    assert after["waiting"] == after["funnel"][0]["queued"] == 2


def test_the_chart_and_the_failure_reasons_come_with_the_same_answer(client_a, launched):
    send(launched, 3)
    MessageLog.objects.filter(status=Status.QUEUED).update(
        status=Status.FAILED, error_message="Invalid To header"
    )
    data = progress(client_a, launched)
    daily = {d["label"]: d["data"] for d in data["charts"]["daily"]["datasets"]}
    assert daily["Sent, no reaction yet"][-1] == 3 and daily["Failed"][-1] == 3
    assert [(reason["words"], reason["count"]) for reason in data["reasons"]] == [
        ("Invalid To header", 3)
    ]
    assert data["reasons"][0]["url"].endswith("&why=Invalid+To+header")  # who failed, why


def test_every_figure_on_the_page_names_its_place_in_the_answer(client_a, launched):
    send(launched, 2)
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[launched.pk]))
    html = page.content.decode()
    data = progress(client_a, launched)
    marked = dict(re.findall(r'data-live="([\w.]+)"[^>]*>([^<]*)<', html))
    for path in ("sent", "waiting", "failed", "total", "funnel.0.sent", "funnel.0.queued"):
        value = data
        for key in path.split("."):
            value = value[int(key)] if key.isdigit() else value[key]
        assert marked[path] == str(value), path
    assert 'data-live-chart="daily"' in html and 'data-live-rows="reasons"' in html
    assert "campaigns/campaign_live.js" in html
    assert json.loads(page.context["results"]["chart"]) == data["charts"]["daily"]


def test_a_finished_campaign_page_stops_polling(client_a, launched):
    send(launched, 6)
    blasts.finish_dispatches()
    html = client_a.get(reverse("admin:campaigns_campaign_change", args=[launched.pk])).content
    assert b"data-live-url" not in html and b"campaign_live.js" not in html
    assert progress(client_a, launched)["live"] is False


def test_another_organization_gets_no_progress(client_b, launched):
    url = reverse("admin:campaigns_campaign_progress", args=[launched.pk])
    assert client_b.get(url).status_code == 404
