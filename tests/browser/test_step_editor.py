"""Writing a campaign in one place, in a real browser: the demo's staff member opens a
campaign, adds a step, types, sees the preview follow, inserts a merge field and saves.
Screenshots are kept under var/screenshots/ for a person to look at."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from campaigns.content.rendering import lead_values
from campaigns.models import Campaign
from tests.conftest import log_in

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_an_agent_writes_a_step_with_the_live_preview(live_server, browser):
    call_command("load_demo", "--force", stdout=StringIO())
    campaign = Campaign.objects.get(name="Spring open house")
    first = campaign.organization.leads.order_by("name").first()
    name = lead_values(first)["first_name"]
    page = browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server, "agent", "agent")

    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/#steps")
    preview = page.locator("#step-preview")
    page.wait_for_function(
        "document.getElementById('preview-subject').textContent.includes('open house')"
    )
    assert preview.is_visible()
    assert page.locator("#preview-lead option").count() > 1
    shot(page, "step-editor-1-opened")

    page.click("#steps-group .add-row")
    subject = page.locator("[name='steps-1-subject']")
    body = page.locator("[name='steps-1-body_template']")
    assert page.locator("[name='steps-1-order']").input_value() == "2"
    page.fill("[name='steps-1-name']", "Price drop")
    subject.press_sequentially("Prices are down in {{ lead.city }}", delay=20)
    page.wait_for_function(
        "document.getElementById('preview-subject').textContent.startsWith('Prices are down in')"
    )
    assert page.locator("#preview-step").input_value() == "steps-1"
    body.press_sequentially("<p>Hello ", delay=20)
    page.click("#merge-fields [data-code*='lead.first_name']")
    body.press_sequentially(", a home you liked costs less now.</p>", delay=20)
    assert body.input_value() == (
        '<p>Hello {{ lead.first_name | default("there", true) }}, '
        "a home you liked costs less now.</p>"
    )
    frame = page.frame_locator("#preview-html")
    frame.locator("p", has_text=f"Hello {name}, a home you liked").wait_for()
    assert page.locator("#preview-error").is_hidden()
    shot(page, "step-editor-2-typed")

    body.press("End")
    body.press_sequentially("\n{% if lead.city %}<p>Near you</p>", delay=20)
    error = page.locator("#preview-error")
    error.wait_for(state="visible")
    assert error.inner_text() == (
        "In the body: An {% if %} on line 2 is never closed: add {% endif %}."
    )
    shot(page, "step-editor-3-mistake")
    body.press_sequentially("{% endif %}", delay=20)
    error.wait_for(state="hidden")

    page.click("button[name=_continue]")
    page.wait_for_load_state()
    step = campaign.steps.get(order=2)
    assert step.name == "Price drop" and "lead.first_name" in step.body_template
    shot(page, "step-editor-4-saved")
