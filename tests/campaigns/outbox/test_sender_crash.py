"""Kill the direct driver in the middle of a blast, start it again: nobody gets a message
twice, and nothing queued is lost (a message caught mid-send becomes `unknown`)."""

import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, MessageLog
from campaigns.outbox import claims
from crm.models import Lead
from tests.conftest import start_sender, wait_for

LEADS = 60


@pytest.mark.django_db(transaction=True)
def test_a_killed_sender_never_sends_twice_and_loses_nothing(campaign_a, gmail_account, google):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(LEADS)
    )
    blasts.campaign_launch(campaign=campaign_a)
    google.send_delay = 0.03

    sender = start_sender(google)
    wait_for(lambda: len(google.sent) >= LEADS // 3)
    sender.send_signal(signal.SIGKILL)  # no clean-up: as if the machine died
    sender.wait()
    assert len(google.sent) < LEADS
    # What the dead sender had claimed and not recorded: at most the one in flight.
    stuck = MessageLog.objects.filter(status=MessageLog.Status.SENDING).count()
    assert stuck <= 1

    sender = start_sender(google)
    try:
        wait_for(
            lambda: (
                MessageLog.objects.filter(status=MessageLog.Status.SENT).count() == LEADS - stuck
            )
        )
    finally:
        sender.terminate()
        sender.wait(timeout=20)

    recipients = [m["To"].addresses[0].addr_spec for m in google.sent]
    assert len(recipients) == len(set(recipients)), "someone got the message twice"
    logs = MessageLog.objects.filter(campaign=campaign_a)
    assert logs.count() == LEADS
    statuses = set(logs.values_list("status", flat=True))
    assert statuses <= {MessageLog.Status.SENT, MessageLog.Status.SENDING}
    # A message claimed when the sender died stays out of the queue, then is flagged.
    claims.expire_stale_claims(now=timezone.now() + timedelta(hours=1))
    assert logs.filter(status=MessageLog.Status.UNKNOWN).count() == stuck
    assert len(google.sent) >= LEADS - stuck
