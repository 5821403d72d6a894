"""In Chromium, an agent launches a blast and watches it finish without reloading: the
delivery line and the per-step table move together, Pause and Cancel go away at 100%, the
page says when it finished, and a second launch lands on the page saying who launched it.
And when nothing is sending, the home and the campaign page say so, until it starts."""

import datetime
import json
import zoneinfo
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, SenderHeartbeat
from crm.models import Lead
from crm.site.timezones import spoken_time
from tests.conftest import log_in, start_sender, wait_for

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
LEADS = 30
TALL = {"width": 1440, "height": 1500}

# Delivery's Sent and the per-step table's Sent, read in the same instant.
SENT_TWICE = """() => [
    document.querySelector('#delivery [data-live="sent"]').textContent,
    document.querySelector('#step-funnel [data-live="funnel.0.sent"]').textContent,
]"""


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The viewport is tall already: a full-page shot resizes the window, and unfold then
    # folds the page's tabs into a menu, which nobody sees in a real browser.
    page.screenshot(path=str(SCREENSHOTS / name))


@pytest.fixture
def pasadena_blast(org_a, staff_a, campaign_a, gmail_account):
    staff_a.set_password("correct horse")
    staff_a.save()
    Lead.objects.bulk_create(
        Lead(
            organization=org_a,
            name=f"Buyer {n:02}",
            email=f"buyer{n:02}@example.com",
            city="Pasadena",
        )
        for n in range(LEADS)
    )
    campaign_a.name = "Price drop alert"
    campaign_a.email_account = gmail_account
    campaign_a.audience_filter = {"city": "Pasadena"}
    campaign_a.save()
    return campaign_a


@pytest.mark.browser
def test_an_agent_launches_a_blast_and_watches_it_finish(
    live_server, browser, pasadena_blast, google
):
    google.send_delay = 0.25  # long enough to watch the figures move
    sender = start_sender(google)
    try:
        page = browser.new_page()
        page.set_viewport_size(TALL)
        log_in(page, live_server, "alice", "correct horse")
        change = f"{live_server.url}/admin/campaigns/campaign/{pasadena_blast.pk}/change/"
        page.goto(change)
        page.click("text=Launch…")
        page.wait_for_url("**/launch/")
        assert page.inner_text("#plan-audience") == str(LEADS)
        wait_for(SenderHeartbeat.objects.exists)  # the sender is up and has said so
        page.click("button[type=submit]:has-text('Launch now')")
        page.wait_for_url("**/change/")
        body = page.inner_text("body")
        assert f"Launched: {LEADS} messages queued. Sending has started." in body

        # While it sends: the two figures come from one poll, so they always agree.
        page.wait_for_function(
            f"() => {{ const n = Number(document.querySelector('#delivery [data-live=\"sent\"]')"
            f".textContent); return n > 0 && n < {LEADS}; }}",
            timeout=30_000,
        )
        delivery, per_step = page.evaluate(SENT_TWICE)
        assert delivery == per_step
        assert page.is_visible("a[data-action=pause]") and page.is_visible("a[data-action=cancel]")
        screenshot(page, "campaign-sending-live.png")

        page.wait_for_selector("text=Finished at", timeout=60_000)
        assert page.evaluate(SENT_TWICE) == [str(LEADS), str(LEADS)]
        assert page.inner_text('#delivery [data-live="waiting"]') == "0"
        assert not page.is_visible("a[data-action=pause]")
        assert not page.is_visible("a[data-action=cancel]")
        assert page.is_visible("a[data-action=duplicate]")
        screenshot(page, "campaign-finished-live.png")
    finally:
        sender.terminate()
        sender.wait(timeout=20)

    page.reload()
    assert "Completed" in page.inner_text("#delivery")
    assert page.locator("a[data-action=pause], a[data-action=cancel]").count() == 0
    assert "Finished at" in page.inner_text("#state-line")

    # Back to the launch page (Back, another tab): the campaign page says who launched it.
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{pasadena_blast.pk}/launch/")
    page.wait_for_url("**/change/")
    with timezone.override(zoneinfo.ZoneInfo("America/Los_Angeles")):
        when = spoken_time(Campaign.objects.get(pk=pasadena_blast.pk).launched_at)
    assert f"Already launched {when} by alice." in page.inner_text("body")
    screenshot(page, "campaign-already-launched.png")

    # The campaigns list shows how it went.
    page.goto(f"{live_server.url}/admin/campaigns/campaign/")
    row = page.inner_text("tr:has-text('Price drop alert')")
    assert "COMPLETED" in row.upper() and f"{LEADS} of {LEADS}" in row
    screenshot(page, "campaign-list-results.png")


@pytest.mark.browser
def test_the_home_and_the_campaign_say_when_nothing_is_sending(
    live_server, browser, pasadena_blast, google
):
    blasts.campaign_launch(campaign=pasadena_blast)
    # The sender last ran ten minutes ago, and stopped.
    SenderHeartbeat.objects.create(
        name="send_queued", beat_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    page = browser.new_page()
    page.set_viewport_size(TALL)
    log_in(page, live_server, "alice", "correct horse")
    warning = page.inner_text("#sender-warning")
    assert "Nothing is sending right now: the sending service is not running." in warning
    assert "manage.py send_queued --loop" in warning
    screenshot(page, "home-nothing-sending.png")

    page.goto(f"{live_server.url}/admin/campaigns/campaign/{pasadena_blast.pk}/change/")
    assert page.is_visible("#sender-warning")
    assert "waiting for the sending service" in page.inner_text("#state-line")
    screenshot(page, "campaign-nothing-sending.png")

    sender = start_sender(google)
    try:
        # The page notices on its own: the warning goes, the messages go out.
        page.wait_for_selector("#sender-warning", state="hidden", timeout=30_000)
        page.wait_for_selector("text=Finished at", timeout=60_000)
    finally:
        sender.terminate()
        sender.wait(timeout=20)
    data = json.loads(
        page.evaluate(
            "async (url) => JSON.stringify(await (await fetch(url)).json())",
            f"/admin/campaigns/campaign/{pasadena_blast.pk}/progress.json",
        )
    )
    assert data["sender_warning"] == "" and data["sent"] == LEADS
    screenshot(page, "campaign-sending-again.png")
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#sender-warning").count() == 0
