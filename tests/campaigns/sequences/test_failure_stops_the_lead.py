"""A message that failed for good stops its lead's sequence, through either driver; a
failure that was put back in the queue does not."""

import datetime
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from campaigns.models import Dispatch, Enrollment, MessageLog
from campaigns.sequences import schedule
from crm.models import Lead
from tests.campaigns.api.test_n8n_api import LOG_URL, call, claim_url
from tests.conftest import make_sequence
from tests.google_standin import google_error

Status = MessageLog.Status
MONDAY_8AM_LA = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=zoneinfo.ZoneInfo("America/Los_Angeles"))
DAY = datetime.timedelta(days=1)


@pytest.fixture
def sequence(org_a, gmail_account):
    campaign = make_sequence(org_a, gmail_account)
    for name in ("good", "bad"):
        Lead.objects.create(organization=org_a, name=name, email=f"{name}@example.com")
    with time_machine.travel(MONDAY_8AM_LA, tick=False):
        schedule.sequence_activate(campaign=campaign)
    return campaign


def tick_at(moment):
    with time_machine.travel(moment, tick=False):
        schedule.tick()


def drain(moment):
    """The direct sender runs once at that moment (its periodic jobs tick the sequence)."""
    with time_machine.travel(moment):
        call_command("send_queued", stdout=StringIO(), stderr=StringIO())


def enrollment(name):
    return Enrollment.objects.get(lead__email=f"{name}@example.com")


def test_a_refused_address_stops_the_lead_and_cancels_its_queued_follow_up(sequence, google):
    google.reject_recipients = {"bad@example.com"}
    start = MONDAY_8AM_LA + datetime.timedelta(hours=2)
    # The sender was down for three days: step 1 and step 2 are both waiting.
    tick_at(start)
    tick_at(start + 3 * DAY)
    assert MessageLog.objects.filter(status=Status.QUEUED).count() == 4
    drain(start + 3 * DAY)
    stopped = enrollment("bad")
    assert stopped.state == Enrollment.State.STOPPED
    assert stopped.stop_reason.startswith("step 1 could not be sent: HTTP 400")
    assert "Invalid To header" in stopped.stop_reason
    follow_up = MessageLog.objects.get(lead__email="bad@example.com", campaign_step__order=2)
    assert follow_up.status == Status.CANCELLED
    tick_at(start + 8 * DAY)
    drain(start + 8 * DAY)
    recipients = [message["To"].addresses[0].addr_spec for message in google.sent]
    assert sorted(recipients) == ["good@example.com"] * 3
    assert MessageLog.objects.filter(lead__email="bad@example.com").count() == 2
    assert enrollment("good").state == Enrollment.State.COMPLETED


def test_a_message_put_back_in_the_queue_does_not_stop_the_lead(sequence, google):
    google.send_failures = [google_error(403, "userRateLimitExceeded")]
    tick_at(MONDAY_8AM_LA + datetime.timedelta(hours=2))
    drain(MONDAY_8AM_LA + datetime.timedelta(hours=2))
    requeued = MessageLog.objects.filter(status=Status.QUEUED)
    assert requeued.count() == 2  # the account rests a minute; nothing failed
    assert not MessageLog.objects.filter(status=Status.FAILED).exists()
    assert set(Enrollment.objects.values_list("state", flat=True)) == {Enrollment.State.ACTIVE}


def test_a_failure_reported_by_n8n_stops_the_lead(sequence, settings):
    settings.N8N_WEBHOOK_SECRET = ["shared-secret"]
    settings.N8N_BASE_URL = "http://127.0.0.1:9"  # the tick makes n8n dispatches
    tick_at(MONDAY_8AM_LA + datetime.timedelta(hours=2))
    launched = Dispatch.objects.get(campaign=sequence)
    claimed = call(claim_url(launched), {"limit": 10}).json()["messages"]
    reports = [
        {
            "message_log_id": item["message_log_id"],
            "campaign_id": item["campaign_id"],
            "lead_id": item["lead_id"],
            **(
                {"status": "failed", "error": "HTTP 400 invalidArgument: Invalid To header"}
                if item["to"] == "bad@example.com"
                else {"status": "sent", "provider_message_id": "g-1", "thread_id": "t-1"}
            ),
        }
        for item in claimed
    ]
    assert call(LOG_URL, {"messages": reports}).status_code == 200
    stopped = enrollment("bad")
    assert stopped.state == Enrollment.State.STOPPED
    assert (
        stopped.stop_reason
        == "step 1 could not be sent: HTTP 400 invalidArgument: Invalid To header"
    )
    assert enrollment("good").state == Enrollment.State.ACTIVE
    tick_at(MONDAY_8AM_LA + 3 * DAY + datetime.timedelta(hours=2))
    assert list(
        MessageLog.objects.filter(campaign_step__order=2).values_list("lead__email", flat=True)
    ) == ["good@example.com"]
