"""In Chromium, Preview and test keeps the lead it shows after Send test: the picker still
names that lead (found by a search, beyond the first 50 by name), not another one."""

import pytest

from campaigns.models import MessageLog
from crm.models import Lead
from tests.browser.shots import SIZES, new_page, overflow, shot
from tests.conftest import log_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_after_send_test_the_picker_names_the_lead_previewed(
    live_server, browser, staff_a, campaign_a, sandbox_account, width, height
):
    staff_a.set_password("pw-alice-123")
    staff_a.email = "alice@sunset.example"
    staff_a.save()
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"Aaron {n:02}", email=f"a{n}@example.com")
        for n in range(60)
    )
    zoe = Lead.objects.create(
        organization=campaign_a.organization, name="Zoe Zimmer", email="zoe@example.com"
    )
    step = campaign_a.steps.get()
    page = new_page(browser, width, height)
    log_in(page, live_server, "alice", "pw-alice-123")
    page.goto(f"{live_server.url}/admin/campaigns/campaignstep/{step.pk}/preview/")
    page.fill("input[name=q]", "Zoe")
    page.click("#preview-picker button[type=submit]")
    assert page.locator("select[name=lead]").input_value() == str(zoe.pk)
    page.click("text=Send test to alice@sunset.example")
    page.wait_for_selector("text=Test sent to alice@sunset.example")
    assert MessageLog.objects.get(is_test=True).lead == zoe
    picker = page.locator("select[name=lead]")
    assert picker.input_value() == str(zoe.pk)
    assert picker.locator("option:checked").inner_text() == "Zoe Zimmer <zoe@example.com>"
    assert "To Zoe Zimmer <zoe@example.com>" in page.inner_text("#preview-addressing")
    assert overflow(page) == 0
    shot(page, "preview-keeps-the-lead")
    page.close()
