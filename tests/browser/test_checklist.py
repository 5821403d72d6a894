"""In Chromium, a new agency's home lists its first steps; each is ticked as the agent
does it (importing leads and sending a test through the pages themselves), and the list
goes away once all five are done."""

from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignStep, DomainCheck, EmailAccount
from tests.conftest import log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
LEADS = "name,email,city\nAna Souza,ana@example.com,Pasadena\nBen Cole,ben@example.com,Burbank\n"


def ticked(page):
    page.goto(page.url.split("/admin/")[0] + "/admin/")
    return [item.get_attribute("data-done") == "true" for item in page.locator("[data-done]").all()]


@pytest.mark.browser
def test_a_new_agency_ticks_its_first_steps(
    live_server, browser, settings, tmp_path, org_a, staff_a
):
    settings.SANDBOX_OUTBOX_DIR = tmp_path / "outbox"
    settings.LEAD_IMPORT_DIR = tmp_path / "imports"
    staff_a.set_password("correct horse")
    staff_a.save()
    page = browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server, "alice", "correct horse")
    box = page.locator('[data-checklist="sunset"]')
    assert "Getting started" in box.inner_text() and "0 of 5 done" in box.inner_text()
    assert ticked(page) == [False, False, False, False, False]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "checklist-1-new-agency.png"), full_page=True)

    # Connecting Gmail goes through Google (its own tests use the stand-in): a connected
    # sandbox account stands for it here.
    EmailAccount.objects.create(
        organization=org_a,
        user=staff_a,
        email_address="alice@sunset.example",
        display_name="Alice",
        provider=EmailAccount.Provider.SANDBOX,
    )
    assert ticked(page) == [True, False, False, False, False]
    # The domain check reads DNS (its own tests use a loopback server): a stored check with
    # every record in place stands for it here.
    DomainCheck.objects.create(
        organization=org_a,
        domain="sunset.example",
        checked_at=timezone.now(),
        findings=[
            {"key": key, "ok": True, "text": key, "fix": ""} for key in ("spf", "dkim", "dmarc")
        ],
    )
    assert ticked(page) == [True, True, False, False, False]

    page.click("text=3. Import leads")
    page.wait_for_selector("#lead-import-form")
    csv = tmp_path / "leads.csv"
    csv.write_text(LEADS)
    page.set_input_files("input[type=file]", str(csv))
    page.click("text=Preview import")
    page.click("text=Confirm import")
    page.wait_for_url("**/admin/crm/lead/")
    assert ticked(page) == [True, True, True, False, False]

    # Writing a campaign on its page has its own browser test (test_browser_step_editor).
    campaign = Campaign.objects.create(organization=org_a, name="Spring open house")
    CampaignStep.objects.create(
        campaign=campaign, order=1, subject="Open house on Saturday", body_template="<p>Hi</p>"
    )
    assert ticked(page) == [True, True, True, True, False]
    page.screenshot(path=str(SCREENSHOTS / "checklist-2-four-done.png"), full_page=True)

    page.click("text=5. Send a test")
    page.click("text=Send test to alice@example.com")
    page.wait_for_selector("text=Test sent to alice@example.com")
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("[data-checklist]").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "checklist-3-all-done.png"), full_page=True)
