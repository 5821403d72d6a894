"""In Chromium, an agent of a Los Angeles agency reads every time in Los Angeles time, and
the page says so."""

import datetime
import re
from pathlib import Path

import pytest

from campaigns.models import Enrollment, MessageLog
from tests.conftest import log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
FIVE_PM_UTC = datetime.datetime(2025, 12, 3, 17, 0, tzinfo=datetime.UTC)


@pytest.mark.browser
def test_an_agent_reads_times_in_the_agencys_zone(live_server, browser, staff_a, message_a):
    staff_a.set_password("correct horse")
    staff_a.save()
    MessageLog.objects.filter(pk=message_a.pk).update(
        status=MessageLog.Status.FAILED,
        error_message="HTTP 400 invalidArgument: Invalid To header",
        created_at=FIVE_PM_UTC,
        updated_at=FIVE_PM_UTC,
    )
    Enrollment.objects.create(
        organization=message_a.organization,
        campaign=message_a.campaign,
        lead=message_a.lead,
        started_at=FIVE_PM_UTC,
        next_due_at=FIVE_PM_UTC + datetime.timedelta(days=3),
    )
    page = browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server, "alice", "correct horse")
    named = " ".join(page.inner_text("#time-zone").split())
    assert re.fullmatch(r"Times in America/Los_Angeles \(P[SD]T\)", named), named

    page.goto(f"{live_server.url}/admin/campaigns/messagelog/")
    assert "Dec. 3, 2025, 9:00 AM" in page.inner_text("#result_list")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "message-log-in-agency-time.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/campaigns/enrollment/")
    rows = page.inner_text("#result_list")
    assert "Dec. 6, 2025, 9:00 AM" in rows and "Dec. 3, 2025, 9:00 AM" in rows
    page.screenshot(path=str(SCREENSHOTS / "enrollments-in-agency-time.png"), full_page=True)
