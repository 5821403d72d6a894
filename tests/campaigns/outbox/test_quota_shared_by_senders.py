"""Gmail's per-minute quota is per Google user: two sender processes on one account share
it through the database, and together send no faster than one sender may."""

import signal
from datetime import timedelta

import pytest

from campaigns.launching import blasts
from campaigns.models import Campaign, MessageLog
from crm.models import Lead
from tests.conftest import start_sender, wait_for

# 60,000 units a minute at 100 a send: 600 sends a minute, one every 0.1 s.
QUOTA_UNITS = 60_000
PER_SECOND = 10
LEADS = 60


def most_in_one_second(moments) -> int:
    moments = sorted(moments)
    return max(
        sum(1 for other in moments if start <= other < start + timedelta(seconds=1))
        for start in moments
    )


@pytest.mark.django_db(transaction=True)
def test_two_senders_together_keep_to_the_accounts_quota(campaign_a, gmail_account, google):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(LEADS)
    )
    blasts.campaign_launch(campaign=campaign_a)

    senders = [start_sender(google, quota_units=QUOTA_UNITS) for _ in range(2)]
    sent = MessageLog.objects.filter(status=MessageLog.Status.SENT)
    try:
        wait_for(lambda: sent.count() >= LEADS // 2)
    finally:
        for sender in senders:
            sender.send_signal(signal.SIGTERM)
            sender.wait()
    moments = list(sent.values_list("sent_at", flat=True))
    # One more than the quota allows in a second: a send may land a few milliseconds late
    # and the next one on time. Without the shared slot, two senders make it twenty.
    assert most_in_one_second(moments) <= PER_SECOND + 1
    assert len(google.sent) == len(moments)
