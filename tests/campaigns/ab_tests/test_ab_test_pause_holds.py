"""A pause during an A/B test's wait holds it: the sender neither decides nor sends while the
campaign is paused; after the resume, the wait being over, it decides and sends the rest. A
cancel cancels the held rest, and the test is never decided."""

import datetime
from io import StringIO

import time_machine
from django.core.management import call_command

from campaigns.ab_tests import variants
from campaigns.models import AbTest, Campaign, MessageLog
from tests.conftest import ab_blast

MONDAY_9AM = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def sender_runs() -> str:
    """`manage.py send_queued`, once, as from cron: it decides what is due, then sends."""
    out = StringIO()
    call_command("send_queued", stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_a_pause_during_the_wait_holds_and_the_resume_decides_and_sends(
    campaign_a, sandbox_account
):
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        ab_blast(campaign_a, leads=40, share=50)  # 10 per subject, 20 held
        assert sender_runs() == "Handled 20 messages: 20 sent."
        campaign_a.pause()
        traveller.shift(datetime.timedelta(hours=5))  # the wait is over, while paused
        assert sender_runs() == "Handled 0 messages."
        test = AbTest.objects.get(campaign=campaign_a)
        assert test.decided_at is None
        held = MessageLog.objects.filter(campaign=campaign_a, ab_group="held", status="queued")
        assert held.count() == 20
        Campaign.objects.get(pk=campaign_a.pk).resume()
        assert sender_runs() == "Handled 20 messages: 20 sent."
    test.refresh_from_db()
    assert test.decided_at == MONDAY_9AM + datetime.timedelta(hours=5)
    assert test.outcome == (
        "No clear winner: A 0% vs B 0% unique opens, p = 1.00; the first variant is sent."
    )
    sent = MessageLog.objects.filter(campaign=campaign_a, status="sent")
    assert sent.count() == 40 and sent.values("lead").distinct().count() == 40


def test_a_cancel_during_the_wait_cancels_the_held_rest_and_nothing_is_decided(
    campaign_a, sandbox_account
):
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        ab_blast(campaign_a, leads=40, share=50)
        sender_runs()
        assert Campaign.objects.get(pk=campaign_a.pk).cancel() == 20
        traveller.shift(datetime.timedelta(hours=5))
        assert variants.decide_due() == 0
        assert sender_runs() == "Handled 0 messages."
    assert AbTest.objects.get(campaign=campaign_a).decided_at is None
    statuses = MessageLog.objects.filter(campaign=campaign_a).values_list("status", flat=True)
    assert sorted(set(statuses)) == ["cancelled", "sent"]
