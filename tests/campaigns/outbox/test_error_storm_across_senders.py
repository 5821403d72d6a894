"""The error-storm pause counts failures in the database: two sender processes failing on
one campaign pause it at the threshold of both together, not each at its own."""

import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, EmailAccount, MessageLog
from campaigns.outbox import claims
from crm.models import Lead
from tests.conftest import start_sender, wait_for
from tests.google_standin import google_error

THRESHOLD = 6
LEADS = 40
STARTUP = 5


@pytest.mark.django_db(transaction=True)
def test_two_senders_pause_a_failing_campaign_at_the_shared_threshold(
    campaign_a, gmail_account, google
):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(LEADS)
    )
    blasts.campaign_launch(campaign=campaign_a)
    google.send_failures = [google_error(403, "forbidden", "Sending is not allowed")] * LEADS
    google.send_delay = 0.05
    # The account rests while both senders start, so that both are sending when it ends.
    EmailAccount.objects.filter(pk=gmail_account.pk).update(
        paused_until=timezone.now() + timedelta(seconds=STARTUP)
    )

    senders = [
        start_sender(google, GMAIL_MAX_ATTEMPTS=1, CAMPAIGN_MAX_SEND_ERRORS=THRESHOLD)
        for _ in range(2)
    ]
    campaign = Campaign.objects.filter(pk=campaign_a.pk)
    try:
        wait_for(lambda: campaign.get().status == Campaign.Status.PAUSED)
        wait_for(lambda: not MessageLog.objects.filter(status=MessageLog.Status.SENDING).exists())
    finally:
        for sender in senders:
            sender.send_signal(signal.SIGTERM)
            sender.wait()
    failed = MessageLog.objects.filter(status=MessageLog.Status.FAILED).count()
    # The threshold, or one more: the other sender's message in flight when it paused.
    assert THRESHOLD <= failed <= THRESHOLD + 1
    reason = claims.STORM_PAUSED.format(
        count=THRESHOLD, error="HTTP 403 forbidden: Sending is not allowed"
    )
    assert campaign.get().pause_reason.startswith(reason)
