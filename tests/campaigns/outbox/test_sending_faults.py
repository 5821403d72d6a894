"""Sending faults: pause/resume around a failure, and an error storm pausing the campaign."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.launching import blasts
from campaigns.models import Campaign, MessageLog
from crm.models import Lead
from tests.google_standin import google_error

Status = MessageLog.Status


@pytest.fixture
def blast(campaign_a, gmail_account):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    return campaign_a


def leads(campaign, count):
    return Lead.objects.bulk_create(
        Lead(organization=campaign.organization, name=f"L{n}", email=f"lead{n:03d}@example.com")
        for n in range(count)
    )


def drain(limit=0):
    call_command("send_queued", limit=limit, stdout=StringIO(), stderr=StringIO())


def test_pause_and_resume_around_a_failure_send_everyone_once(blast, google):
    leads(blast, 100)
    blasts.campaign_launch(campaign=blast)
    google.reject_recipients = {"lead029@example.com"}
    drain(limit=50)
    blast.pause()
    drain()  # paused: nothing moves
    assert MessageLog.objects.filter(status__in=[Status.SENT, Status.FAILED]).count() == 50
    blast.refresh_from_db()
    blast.resume()
    drain()
    recipients = [m["To"].addresses[0].addr_spec for m in google.sent]
    assert len(recipients) == len(set(recipients)) == 99
    failed = MessageLog.objects.get(status=Status.FAILED)
    assert failed.to_email == "lead029@example.com" and "Invalid To header" in failed.error_message
    assert MessageLog.objects.count() == 100


def test_an_error_storm_pauses_the_campaign_at_the_threshold(blast, google, settings):
    settings.CAMPAIGN_MAX_SEND_ERRORS = 10
    settings.GMAIL_MAX_ATTEMPTS = 1
    leads(blast, 20)
    blasts.campaign_launch(campaign=blast)
    google.send_failures = [google_error(403, "forbidden", "Sending is not allowed")] * 20
    drain()
    blast.refresh_from_db()
    assert blast.status == Campaign.Status.PAUSED
    assert blast.pause_reason.startswith("Paused after 10 failures in a row; the last one:")
    assert MessageLog.objects.filter(status=Status.FAILED).count() == 10
    assert MessageLog.objects.filter(status=Status.QUEUED).count() == 10
    assert google.send_attempts == 10


def test_one_success_resets_the_storm(blast, google, settings):
    settings.CAMPAIGN_MAX_SEND_ERRORS = 3
    settings.GMAIL_MAX_ATTEMPTS = 1
    leads(blast, 6)
    blasts.campaign_launch(campaign=blast)
    error = google_error(403, "forbidden", "Sending is not allowed")
    google.send_failures = [error, error]  # then one success, then two more failures
    drain(limit=3)
    google.send_failures = [error, error]
    drain()
    blast.refresh_from_db()
    assert blast.status != Campaign.Status.PAUSED
