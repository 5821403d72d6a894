"""In Chromium, an agent opens a lead and reads their history as one timeline, newest
first, each event with its campaign; a message opens on its own page, the email shown as
the lead saw it."""

import datetime
from pathlib import Path

import pytest

from campaigns.models import CampaignStep, LinkClick, MessageLog
from tests.conftest import log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
Status = MessageLog.Status
MONDAY_9AM = datetime.datetime(2025, 12, 1, 17, 0, tzinfo=datetime.UTC)  # in Los Angeles


def hours(n):
    return MONDAY_9AM + datetime.timedelta(hours=n)


@pytest.mark.browser
def test_an_agent_reads_a_leads_timeline(live_server, browser, staff_a, campaign_a, lead_a):
    staff_a.set_password("correct horse")
    staff_a.save()
    CampaignStep.objects.create(
        campaign=campaign_a, order=2, subject="Again", body_template="<p>2</p>"
    )
    welcome = MessageLog.objects.create(
        organization=campaign_a.organization,
        campaign=campaign_a,
        campaign_step=campaign_a.steps.get(order=1),
        lead=lead_a,
        to_email=lead_a.email,
        subject="Welcome to Sunset Realty, Ana",
        body_html='<p>Hi Ana, <a href="https://agency.example/visit">book a visit</a>.</p>',
        status=Status.CLICKED,
        sent_at=hours(0),
        opened_at=hours(3),
        clicked_at=hours(3.1),
    )
    LinkClick.objects.create(
        message=welcome,
        campaign=campaign_a,
        url="https://agency.example/visit",
        clicked_at=hours(3.1),
    )
    MessageLog.objects.create(
        organization=campaign_a.organization,
        campaign=campaign_a,
        campaign_step=campaign_a.steps.get(order=2),
        lead=lead_a,
        to_email=lead_a.email,
        subject="Re: Welcome to Sunset Realty, Ana",
        status=Status.REPLIED,
        sent_at=hours(72),
        replied_at=hours(76),
    )
    page = browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 1600})
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/crm/lead/{lead_a.pk}/change/")
    rows = page.locator("#lead-timeline tr")
    assert rows.count() == 5
    lines = [" ".join(rows.nth(n).inner_text().split()) for n in range(5)]
    assert lines[0].startswith("Dec 4, 2025, 13:00 REPLIED Re: Welcome to Sunset Realty, Ana")
    assert "Spring A · Step 2" in lines[0]
    assert lines[1].startswith("Dec 4, 2025, 09:00 SENT")
    assert lines[2].startswith("Dec 1, 2025, 12:06 CLICKED") and "agency.example/visit" in lines[2]
    assert lines[3].startswith("Dec 1, 2025, 12:00 OPENED")
    assert lines[4].startswith("Dec 1, 2025, 09:00 SENT Welcome to Sunset Realty, Ana")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#lead-timeline").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "timeline-1-lead.png"), full_page=True)

    page.locator("#lead-timeline a", has_text="Welcome to Sunset Realty, Ana").last.click()
    page.wait_for_selector("#message-body")
    frame = page.frame_locator("#message-body")
    assert frame.locator("text=book a visit").is_visible()
    assert page.get_attribute("#message-body", "sandbox") == ""
    page.screenshot(path=str(SCREENSHOTS / "timeline-2-message.png"), full_page=True)
