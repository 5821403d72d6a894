"""In Chromium, the step editor says beside a follow-up's subject that it goes as a reply with
the first email's subject, and one click sends the step as a new email with its own."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.models import Campaign
from tests.browser.shots import SIZES, new_page, shot
from tests.conftest import log_in


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_editor_shows_the_subject_a_follow_up_is_sent_with(live_server, browser, width, height):
    call_command("load_demo", "--force", stdout=StringIO())
    nurture = Campaign.objects.get(name="New lead nurture")
    page = new_page(browser, width, height)
    log_in(page, live_server, "agent", "agent")
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{nurture.pk}/change/#steps")

    note = page.locator("#steps-group .step-threaded-note").first
    note.wait_for()
    assert note.inner_text().startswith(
        "Sent as “Re: Welcome to Sunset Realty, ‹full name›”, a reply in the first email’s "
        "thread: the subject written here is not used."
    )
    # It sits under step 2's subject, not step 1's.
    assert (
        page.locator("[name='steps-0-subject']")
        .locator("xpath=ancestor::div[contains(@class,'grow')][1]")
        .locator(".step-threaded-note")
        .count()
        == 0
    )
    note.scroll_into_view_if_needed()
    shot(page, "follow-up-subject-1-note", full_page=False)

    page.locator("#preview-step").select_option("steps-1")
    page.wait_for_function(
        "document.getElementById('preview-subject').textContent.startsWith('Re: Welcome to')"
    )
    note.locator("button").click()
    assert page.locator("[name='steps-1-new_thread']").is_checked()
    page.wait_for_function(
        "document.getElementById('preview-subject').textContent.startsWith('New listings in')"
    )
    assert not note.is_visible()
    shot(page, "follow-up-subject-2-own", full_page=False)
    page.click("button[name=_continue]")
    page.wait_for_load_state()
    assert nurture.steps.get(order=2).new_thread
    page.close()
