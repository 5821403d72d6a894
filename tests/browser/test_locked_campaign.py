"""In Chromium, an agent opens a blast that went out: its audience and type are shown
read-only with the reason, a forced change is not saved, and Duplicate gives a draft."""

import datetime
from pathlib import Path

import pytest

from campaigns.launching import blasts
from campaigns.models import Campaign
from crm.models import Lead
from tests.conftest import log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
FIVE_PM_UTC = datetime.datetime(2025, 12, 3, 17, 0, tzinfo=datetime.UTC)


@pytest.mark.browser
def test_a_launched_blast_is_locked_and_can_be_duplicated(
    live_server, browser, org_a, staff_a, campaign_a
):
    staff_a.set_password("correct horse")
    staff_a.save()
    Lead.objects.create(
        organization=org_a, name="Ana Souza", email="ana@example.com", city="Pasadena"
    )
    campaign_a.name = "Price drop alert"
    campaign_a.audience_filter = {"city": "Pasadena"}
    campaign_a.save()
    blasts.campaign_launch(campaign=campaign_a)
    Campaign.objects.filter(pk=campaign_a.pk).update(launched_at=FIVE_PM_UTC)

    page = browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 1200})
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign_a.pk}/change/")
    notice = page.inner_text("#campaign-locked")
    assert "This campaign was launched on Dec 3, 2025, 09:00" in notice
    assert "can no longer change" in notice
    assert page.is_disabled("#id_type") and page.is_disabled("#id_filter_city")
    assert page.input_value("#id_filter_city") == "Pasadena"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "campaign-launched-locked.png"), full_page=True)

    # Forcing the disabled fields open in the page changes nothing when saved.
    page.evaluate(
        """() => {
            for (const id of ["id_type", "id_filter_city"]) {
                document.getElementById(id).disabled = false;
            }
            document.getElementById("id_type").value = "sequence";
            document.getElementById("id_filter_city").value = "Glendale";
            document.getElementById("id_name").value = "Price drop alert (December)";
        }"""
    )
    page.click("button[name=_continue]")
    page.wait_for_selector("#campaign-locked")
    campaign_a.refresh_from_db()
    assert campaign_a.name == "Price drop alert (December)"
    assert (campaign_a.type, campaign_a.audience_filter) == ("blast", {"city": "Pasadena"})

    page.click("text=Duplicate…")
    page.wait_for_url("**/duplicate/")
    page.click("text=Make a draft copy")
    page.wait_for_url("**/change/")
    assert "is a draft copy" in page.inner_text("body")
    assert not page.is_disabled("#id_type")
    assert page.input_value("#id_name") == "Price drop alert (December) (copy)"
    assert page.locator("#campaign-locked").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "campaign-duplicated-draft.png"), full_page=True)
