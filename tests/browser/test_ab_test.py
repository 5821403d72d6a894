"""In Chromium, an agent tests two subjects: writes subject B beside the first (the preview
follows it), sets the test on the campaign, launches, sees each subject's results with the
p-value once the test has gone out, and sends the better one to the rest."""

import datetime
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import AbTest, MessageLog
from crm.models import Lead
from tests.conftest import log_in, send_all, simulate_opens

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TALL = {"width": 1440, "height": 1500}


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


@pytest.mark.browser
def test_an_agent_tests_two_subjects_and_sends_the_better_one_to_the_rest(
    live_server, browser, staff_a, campaign_a, sandbox_account
):
    staff_a.set_password("correct horse")
    staff_a.save()
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"Buyer {n:02}", email=f"b{n}@example.com")
        for n in range(40)
    )
    page = browser.new_page()
    page.set_viewport_size(TALL)
    log_in(page, live_server, "alice", "correct horse")
    change = f"{live_server.url}/admin/campaigns/campaign/{campaign_a.pk}/change/"

    page.goto(change)
    page.check("#id_track_opens")
    page.fill("#id_ab_share", "50")
    page.fill("#id_ab_wait_hours", "4")
    page.select_option("#id_ab_measure", "opens")
    page.click("#tabs-items a[href='#steps']")
    subject_b = page.locator("[name='steps-0-subject_b']")
    subject_b.press_sequentially("Just listed near you, {{ lead.name }}", delay=10)
    page.wait_for_function(
        "document.getElementById('preview-subject').textContent.startsWith('Just listed near you')"
    )
    assert page.locator("#preview-variant").input_value() == "B"
    screenshot(page, "ab-test-1-subject-b.png")
    page.click("button[name=_continue]")
    page.wait_for_load_state()
    assert campaign_a.steps.get().subject_b == "Just listed near you, {{ lead.name }}"

    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign_a.pk}/launch/")
    plan = page.inner_text("#launch-ab-test")
    assert "First, 50% of the audience: 10 leads per subject (20 in all)." in plan
    screenshot(page, "ab-test-2-launch.png")
    page.click("#launch-now")
    page.wait_for_url(change)
    test = AbTest.objects.get(campaign=campaign_a)
    assert test.per_variant == 10

    # The sender sends the test; a minute later, 2 of A's 10 and 7 of B's 10 open it.
    assert send_all(sandbox_account) == 20
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        simulate_opens(campaign_a, {"A": 2, "B": 7})
    page.goto(change)
    results = page.locator("#ab-test")
    rows = {letter: page.inner_text(f"#ab-test [data-variant='{letter}']") for letter in "AB"}
    assert "\t10\t0\t2\t0\t0\t20%" in rows["A"] and "\t10\t0\t7\t0\t0\t70%" in rows["B"]
    assert "B 70% vs A 20% unique opens, p = 0.025" in results.inner_text()
    screenshot(page, "ab-test-3-results.png")

    page.click("#ab-test [data-variant='B'] >> text=Send B to the rest…")
    confirmation = page.inner_text("#main")
    assert "Send subject B to the rest?" in confirmation
    assert "(“Just listed near you, ‹full name›”) goes to the 20" in confirmation
    screenshot(page, "ab-test-4-confirm.png")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(change)
    assert "Subject B goes to the rest." in page.content()
    assert "alice chose B; it is sent to the rest (B 70% vs A 20% unique opens, p = 0.025)." in (
        page.inner_text("#ab-test-line")
    )
    held = MessageLog.objects.filter(campaign=campaign_a, ab_group="rest", variant="B")
    assert held.count() == 20
    screenshot(page, "ab-test-5-picked.png")


@pytest.mark.browser
def test_a_sequences_steps_offer_no_subject_variants(live_server, browser, staff_a, campaign_a):
    staff_a.set_password("correct horse")
    staff_a.save()
    page = browser.new_page()
    page.set_viewport_size(TALL)
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign_a.pk}/change/#steps")
    subject_b = page.locator("[name='steps-0-subject_b']")
    assert subject_b.is_visible()
    page.click("#tabs-items a[href='#general']")
    page.select_option("#id_type", "sequence")
    assert page.locator("#id_ab_share").is_hidden()
    page.click("#tabs-items a[href='#steps']")
    assert subject_b.is_hidden() and page.locator("[name='steps-0-subject']").is_visible()
