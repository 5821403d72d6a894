"""In Chromium, an agent adds a listing, finds its alert on the home page, reviews it (the
listing card as a lead it fits gets it) and sends it after the confirmation; and a listing
alert campaign's page shows its own settings instead of an audience."""

from pathlib import Path

import pytest

from campaigns.models import Campaign, ListingAlert, MessageLog
from tests.conftest import log_in, make_buyer

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.browser
def test_an_agent_reviews_a_listing_alert_and_sends_it(
    live_server, browser, org_a, staff_a, listing_alerts_a
):
    staff_a.set_password("correct horse")
    staff_a.save()
    make_buyer(org_a, "Ana Souza")
    make_buyer(org_a, "Carl Berg", city="pasadena")
    make_buyer(org_a, "Elsewhere", city="Burbank")
    page = browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 1200})
    log_in(page, live_server, "alice", "correct horse")

    page.goto(f"{live_server.url}/admin/crm/property/add/")
    for field, value in {
        "title": "Craftsman bungalow",
        "address": "12 Oak St",
        "city": "Pasadena",
        "price": "1000000",
        "bedrooms": "3",
        "url": "https://agency.example/oak",
    }.items():
        page.fill(f"#id_{field}", value)
    page.click("button[name=_save]")
    page.wait_for_url("**/admin/crm/property/")
    assert "New listing 12 Oak St fits 2 leads: review and send" in page.inner_text("body")

    page.goto(f"{live_server.url}/admin/")
    page.click("#pending-alerts a")
    page.wait_for_selector("#alert-review")
    assert "2 leads fit it now" in page.inner_text("#alert-leads")
    card = page.frame_locator("#preview-html").locator(".listing-card")
    assert "1,000,000" in card.inner_text() and "3 bedrooms" in card.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "listing-alert-review.png"), full_page=True)
    assert not MessageLog.objects.exists()

    page.click("#alert-send")
    page.wait_for_selector("#confirm-form")
    assert "Send “New listing 12 Oak St” to 2 leads?" in page.inner_text("body")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector("#alert-review")
    assert "Sent: 2 messages queued." in page.inner_text("body")
    alert = ListingAlert.objects.get()
    assert (alert.state, alert.decided_by) == (ListingAlert.State.SENT, staff_a)
    queued = MessageLog.objects.filter(campaign=alert.blast, status="queued")
    assert sorted(queued.values_list("to_email", flat=True)) == [
        "ana.souza@example.com",
        "carl.berg@example.com",
    ]


@pytest.mark.browser
def test_a_listing_alert_campaign_shows_its_settings_not_an_audience(
    live_server, browser, staff_a, account_a
):
    staff_a.set_password("correct horse")
    staff_a.save()
    page = browser.new_page()
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/campaigns/campaign/add/")
    assert page.is_hidden("#id_alert_price_drop") and page.is_visible("#id_audience")
    page.select_option("#id_type", "listing_alert")
    page.wait_for_selector("#id_alert_price_drop", state="visible")
    assert page.is_hidden("#id_audience") and page.is_hidden("#id_filter_city")
    page.fill("#id_name", "Listing alerts")
    page.fill("#id_alert_price_drop", "7")
    page.check("input[name=alert_statuses][value=qualified]")
    page.click("button[name=_continue]")
    page.wait_for_selector("#campaign-alerts")
    campaign = Campaign.objects.get(name="Listing alerts")
    assert (campaign.type, campaign.alert_price_drop) == (Campaign.Type.LISTING_ALERT, 7)
    assert campaign.alert_statuses == ["qualified"]
