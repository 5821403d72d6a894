"""In Chromium, an agent reads a campaign's results: charts with a legend, values on their
axes and bars stacked by outcome, each step's funnel, the clicks per link, and why
messages failed, in words."""

import datetime
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, MessageLog
from campaigns.outbox import sending
from crm.models import Lead
from tests.conftest import log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"
Status = MessageLog.Status
CHART = """(selector) => {
    const chart = Chart.getChart(document.querySelector(selector + " canvas"));
    return {
        legend: chart.options.plugins.legend.display,
        stacked: chart.options.scales.y.stacked,
        labels: chart.data.datasets.map((dataset) => dataset.label),
        ticks: chart.scales[chart.options.indexAxis === "y" ? "x" : "y"].ticks.length,
    };
}"""


def sent_blast(campaign, names):
    """The campaign launched to these leads, with two links to track, sent an hour ago."""
    Campaign.objects.filter(pk=campaign.pk).update(
        track_opens=True, track_clicks=True, audience=Campaign.Audience.CHOSEN
    )
    campaign.refresh_from_db()
    step = campaign.steps.get()
    step.subject = "New listings this week"
    step.body_template = (
        '<p>See <a href="https://agency.example/listings">the listings</a> or '
        '<a href="https://agency.example/visit">book a visit</a>.</p>'
    )
    step.save()
    campaign.chosen_leads.set(
        Lead.objects.create(
            organization=campaign.organization, name=name, email=f"{name.lower()}@example.com"
        )
        for name in names
    )
    launched = blasts.campaign_launch(campaign=campaign)
    for message in MessageLog.objects.filter(dispatch=launched):
        sending.render_claimed(message, campaign.email_account)  # as the claim does
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    MessageLog.objects.filter(dispatch=launched).update(status=Status.SENT, sent_at=an_hour_ago)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
    return {m.lead.name: m for m in MessageLog.objects.filter(dispatch=launched)}


def click_addresses(message):
    html = (
        message_from_bytes(sending.build_for(message, message.email_account), policy=policy.default)
        .get_body(("html",))
        .get_content()
    )
    return re.findall(r'href="http://127\.0\.0\.1:8000(/t/c/[^"]+)"', html)


@pytest.mark.browser
def test_an_agent_reads_the_results_of_a_campaign(live_server, browser, staff_a, campaign_a):
    staff_a.set_password("correct horse")
    staff_a.save()
    messages = sent_blast(campaign_a, ["Ana", "Ben", "Cleo", "Dan", "Eve"])
    page = browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 1000})
    # Ana and Ben click the first link, Ana the second too: through the real click
    # endpoint, as a mail program would, without following the redirect.
    for name, index in (("Ana", 0), ("Ana", 1), ("Ben", 0)):
        url = live_server.url + click_addresses(messages[name])[index]
        answer = page.request.get(url, headers={"User-Agent": BROWSER}, max_redirects=0)
        assert answer.status == 302
    MessageLog.objects.filter(pk=messages["Cleo"].pk).update(
        replied_at=timezone.now(), status=Status.REPLIED
    )
    MessageLog.objects.filter(pk=messages["Eve"].pk).update(
        status=Status.FAILED,
        sent_at=None,
        error_message="HTTP 400 invalidArgument: Invalid To header",
    )
    log_in(page, live_server, "alice", "correct horse")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    home = page.evaluate(CHART, "#home-chart")
    assert home["legend"] and home["stacked"] and home["ticks"] > 1
    assert home["labels"][:3] == ["Sent, no reaction yet", "Opened", "Clicked"]
    assert "Gmail refused the address (invalid To header)" in page.inner_text("#latest-failures")
    page.screenshot(path=str(SCREENSHOTS / "results-1-home.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign_a.pk}/change/")
    by_day = page.evaluate(CHART, "#campaign-chart")
    assert by_day["legend"] and by_day["stacked"] and by_day["ticks"] > 1
    funnel = page.evaluate(CHART, "#funnel-chart")
    assert funnel["labels"] == ["Sent", "Opened", "Clicked", "Replied"] and funnel["ticks"] > 1
    links = page.inner_text("#link-clicks")
    assert re.search(r"https://agency.example/listings\s+2\s+2", links)
    assert re.search(r"https://agency.example/visit\s+1\s+1", links)
    reasons = page.inner_text("#failure-reasons")
    assert "Gmail refused the address (invalid To header)" in reasons
    assert "invalidArgument" not in page.content()
    # Tall enough that the page's sticky Save bar sits below the results in the picture.
    page.set_viewport_size({"width": 1440, "height": 2400})
    page.locator("#campaign-summary").screenshot(path=str(SCREENSHOTS / "results-2-campaign.png"))
