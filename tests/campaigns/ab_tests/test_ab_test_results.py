"""An A/B subject test's results, per subject, on the campaign page (live, from
progress.json too) and in the campaign results export: messages sent, opened, clicked,
replied, the rate on the test's measure, the p-value, the decision and when."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from import_export.formats import base_formats

from campaigns.ab_tests import variants
from campaigns.reporting import sender_health
from tests.conftest import ab_blast, send_all, simulate_opens

MONDAY_9AM = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
OUTCOME = "No clear winner: B 80% vs A 20% unique opens, p = 0.058; the first variant is sent."


@pytest.fixture
def tested(campaign_a, sandbox_account):
    """20 leads, half of them in the test; 1 of A's 5 and 4 of B's 5 open it."""
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        ab_blast(campaign_a, leads=20, share=50)
        send_all(sandbox_account)
        traveller.shift(datetime.timedelta(minutes=1))
        simulate_opens(campaign_a, {"A": 1, "B": 4})
        sender_health.Heartbeat().beat()  # the sender runs: it will choose the winner
        yield traveller


def page_of(client, campaign) -> str:
    return client.get(
        reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    ).content.decode()


def row(html: str, marker: str) -> str:
    start = html.index(marker)
    return " ".join(html[start : html.index("</tr>", start)].split())


def test_the_campaign_page_shows_each_subjects_results_and_then_the_decision(
    client_a, campaign_a, tested
):
    html = page_of(client_a, campaign_a)
    assert "Waiting for the results: the winner is chosen at" in html
    assert ">5</td>" in row(html, 'data-variant="A"') and ">20%</td>" in row(
        html, 'data-variant="A"'
    )
    assert ">4</td>" in row(html, 'data-variant="B"') and ">80%</td>" in row(
        html, 'data-variant="B"'
    )
    assert "B 80% vs A 20% unique opens, p = 0.058" in html
    assert "Send B to the rest…" in html
    live = client_a.get(reverse("admin:campaigns_campaign_progress", args=[campaign_a.pk])).json()
    assert [(r["letter"], r["sent"], r["opened"], r["rate"]) for r in live["ab_test"]["rows"]] == [
        ("A", 5, 1, "20%"),
        ("B", 5, 4, "80%"),
    ]
    assert live["ab_test"]["p_value"] == "p = 0.058" and live["ab_test"]["state"] == "waiting"
    assert live["state_line"] == live["ab_test"]["line"]  # nothing else moves meanwhile

    tested.shift(datetime.timedelta(hours=4))
    assert variants.decide_due() == 1
    html = page_of(client_a, campaign_a)
    assert f"{OUTCOME} Decided at" in html and "winner" in row(html, 'data-variant="A"')
    assert 'data-live="ab_test.rest.label">The rest: A<' in html


def export(client) -> list[dict]:
    titles = [str(f().get_title()) for f in base_formats.DEFAULT_FORMATS]
    columns = ["name", "ab_decision", "ab_p_value", "ab_A_sent", "ab_A_opened", "ab_A_rate"]
    columns += ["ab_B_subject", "ab_B_rate", "ab_C_sent"]
    fields = {f"campaignresultsresource_{name}": "on" for name in columns}
    response = client.post(
        reverse("admin:campaigns_campaign_export"),
        {"format": str(titles.index("csv")), "resource": "0", **fields},
    )
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_results_export_has_each_subjects_figures_and_the_decision(
    client_a, campaign_a, tested
):
    tested.shift(datetime.timedelta(hours=4))
    variants.decide_due()
    assert export(client_a) == [
        {
            "Campaign": "Spring A",
            "A/B decision": OUTCOME,
            "A/B p-value": "0.0578",
            "A/B subject A: sent": "5",
            "A/B subject A: opened": "1",
            "A/B subject A: rate (%)": "20.0",
            "A/B subject B": "B: ‹full name›",  # as written, never code
            "A/B subject B: rate (%)": "80.0",
            "A/B subject C: sent": "",  # the test had no subject C
        }
    ]
