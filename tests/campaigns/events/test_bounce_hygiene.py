"""Bounces by kind: a hard bounce suppresses the address at once; a soft one is sent again
a day later and suppresses the address at its third with no sign of life between; a
refusal by policy neither. Above 5% bounces among an account's last 200 messages its
campaigns pause with the reason, through the outbox, for both drivers; staff resuming
are judged on what is sent from then on. The campaigns list shows the unsubscribe rate
beside the opens. Thresholds are lowered in tests, never thousands of rows made."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns.events import bounces
from campaigns.launching import blasts
from campaigns.models import BounceType, Campaign, Dispatch, MessageLog, StepSnapshot
from campaigns.outbox import bounce_rate, sending
from crm.models import Lead, SuppressedAddress
from crm.suppression import is_suppressed
from tests.campaigns.conftest import claim_url
from tests.campaigns.conftest import signed_call as call
from tests.conftest import MONDAY_10AM_LA

Status = MessageLog.Status
HARD = "Delivery Status Notification (Failure) — 550 5.1.1 The email account does not exist"
FULL = "Delivery Status Notification (Failure) — 452 4.2.2 The recipient's inbox is out of storage"
SPAM = "Delivery Status Notification (Failure) — 550 5.7.1 Message rejected as spam"
DAY = datetime.timedelta(hours=24)


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        (HARD, BounceType.HARD),
        ("Address not found: couldn't be found", BounceType.HARD),
        (FULL, BounceType.SOFT),
        ("552 5.2.2 Mailbox full", BounceType.SOFT),
        ("Connection timed out; try again later", BounceType.SOFT),
        (SPAM, BounceType.POLICY),
        ("550 5.7.26 Unauthenticated email from bars-homes.com is not accepted", BounceType.POLICY),
    ],
)
def test_a_notice_is_read_as_hard_soft_or_policy(reason, kind):
    assert bounces.bounce_type(reason) == kind


def test_a_hard_bounce_suppresses_at_once_a_soft_or_policy_one_does_not(sent):
    bounces.record_bounce(sent, SPAM)
    assert not is_suppressed(sent.organization_id, "ana@example.com")
    MessageLog.objects.filter(pk=sent.pk).update(bounced_at=None, status=Status.SENT)
    bounces.record_bounce(sent, FULL)
    assert not is_suppressed(sent.organization_id, "ana@example.com")
    assert MessageLog.objects.get(pk=sent.pk).bounce_type == BounceType.SOFT
    MessageLog.objects.filter(pk=sent.pk).update(bounced_at=None, status=Status.SENT)
    bounces.record_bounce(sent, HARD)
    assert is_suppressed(sent.organization_id, "ana@example.com")


def check() -> str:
    out = StringIO()
    call_command("check_replies", stdout=out)
    return out.getvalue()


def resend() -> None:
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())


def test_a_soft_bounce_is_sent_again_a_day_later_then_suppressed_at_the_third(sent, google):
    first_id = sent.message_id
    for attempt in range(1, 4):
        at = MONDAY_10AM_LA + (attempt - 1) * (DAY + datetime.timedelta(hours=1))
        with time_machine.travel(at):
            message = MessageLog.objects.get(pk=sent.pk)
            assert message.status == Status.SENT
            bounces.record_bounce(message, FULL)
        with time_machine.travel(at + DAY - datetime.timedelta(minutes=5)):
            resend()  # not yet a day: it waits
            assert MessageLog.objects.get(pk=sent.pk).status == Status.BOUNCED
        with time_machine.travel(at + DAY + datetime.timedelta(minutes=5)):
            resend()  # the sender's periodic jobs send it back to the queue, then it goes
            message = MessageLog.objects.get(pk=sent.pk)
            if attempt < 3:
                assert message.status == Status.SENT and message.message_id != first_id
            else:
                assert message.status == Status.BOUNCED  # suppressed: not sent again
    assert MessageLog.objects.get(pk=sent.pk).soft_bounces == 3
    entry = SuppressedAddress.objects.get(email="ana@example.com")
    assert entry.detail.startswith("3 soft bounces in a row")
    assert sent.lead.enrollments.get().state == "stopped"
    sent_to_ana = [m for m in google.sent if m["To"].addresses[0].addr_spec == "ana@example.com"]
    assert len(sent_to_ana) == 3


def test_a_sign_of_life_between_soft_bounces_starts_the_count_again(sent):
    with time_machine.travel(MONDAY_10AM_LA):
        bounces.record_bounce(sent, FULL)
    MessageLog.objects.filter(pk=sent.pk).update(
        status=Status.SENT,
        bounced_at=None,
        sent_at=MONDAY_10AM_LA + DAY,
        opened_at=MONDAY_10AM_LA + DAY * 2,
        soft_bounces=2,
    )
    assert bounces.soft_bounces_in_a_row(MessageLog.objects.get(pk=sent.pk)) == 0


def test_a_soft_bounce_does_not_stop_the_leads_sequence(sent):
    with time_machine.travel(MONDAY_10AM_LA):
        bounces.record_bounce(sent, FULL)
    from campaigns.sequences import schedule

    with time_machine.travel(MONDAY_10AM_LA + datetime.timedelta(days=3, hours=1)):
        schedule.tick()
    assert sent.lead.enrollments.get().state == "completed"  # not stopped: step 2 went on
    assert MessageLog.objects.filter(lead=sent.lead, campaign_step__order=2).exists()


def test_under_n8n_a_soft_bounce_goes_back_in_a_dispatch_of_its_own(sent, settings):
    settings.N8N_BASE_URL = "http://127.0.0.1:9"  # n8n drives; the call itself is not awaited
    settings.N8N_NOTIFY_BACKOFF_SECONDS = 0.01
    with time_machine.travel(MONDAY_10AM_LA):
        bounces.record_bounce(MessageLog.objects.get(pk=sent.pk), FULL)
    with time_machine.travel(MONDAY_10AM_LA + DAY + datetime.timedelta(minutes=1)):
        assert bounces.retry_soft_bounces() == 1
    message = MessageLog.objects.select_related("dispatch").get(pk=sent.pk)
    assert message.status == Status.QUEUED
    assert message.dispatch.driver == Dispatch.Driver.N8N and message.dispatch.total == 1


# The bounce-rate pause, through the outbox.
@pytest.fixture
def strict(settings):
    settings.BOUNCE_RATE_MIN_MESSAGES = 4
    settings.BOUNCE_RATE_WINDOW = 200
    settings.BOUNCE_RATE_MAX_PERCENT = 5.0


def history(campaign, account, bounced=1, total=4, prefix="old"):
    """`total` messages the account sent yesterday, `bounced` of them bounced."""
    for n in range(total):
        lead = Lead.objects.create(
            organization=campaign.organization, name=f"Old {n}", email=f"{prefix}{n}@example.com"
        )
        MessageLog.objects.create(
            organization=campaign.organization,
            campaign=campaign,
            campaign_step=None,
            lead=lead,
            email_account=account,
            to_email=lead.email,
            status=Status.BOUNCED if n < bounced else Status.SENT,
            sent_at=timezone.now() - datetime.timedelta(hours=20),
            bounced_at=timezone.now() if n < bounced else None,
        )


def queue_new(campaign, count=3):
    step = campaign.steps.get()
    for n in range(count):
        lead = Lead.objects.create(
            organization=campaign.organization, name=f"New {n}", email=f"new{n}@example.com"
        )
        sending.queued_message(
            snapshot=StepSnapshot.of(step), lead=lead, account=campaign.email_account
        ).save()


def test_the_direct_sender_pauses_the_accounts_campaigns_above_the_rate(
    strict, campaign_a, gmail_account, google
):
    Campaign.objects.filter(pk=campaign_a.pk).update(
        email_account=gmail_account, status=Campaign.Status.ACTIVE
    )
    campaign_a.refresh_from_db()
    history(campaign_a, gmail_account, bounced=1, total=4)
    queue_new(campaign_a)
    resend()
    campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.PAUSED
    assert campaign_a.pause_reason == (
        "Paused: 1 of the last 4 messages from alice@gmail.example bounced (25%, above 5%). "
        "Remove the bad addresses (the results say which), then resume."
    )
    assert google.sent == [] and MessageLog.objects.filter(status=Status.QUEUED).count() == 3
    # Resumed, the account is judged on what it sends from then on.
    campaign_a.resume()
    resend()
    assert len(google.sent) == 3


def test_the_n8n_claim_pauses_them_too(strict, campaign_a, n8n_secret):
    account = campaign_a.email_account
    history(campaign_a, account, bounced=1, total=4)
    for n in range(3):
        Lead.objects.create(organization=campaign_a.organization, name=f"N{n}", email=f"n{n}@x.org")
    Lead.objects.filter(email__startswith="old").update(unsubscribed_at=timezone.now())
    launched = blasts.campaign_launch(campaign=campaign_a)
    Dispatch.objects.filter(pk=launched.pk).update(driver=Dispatch.Driver.N8N)
    answer = call(claim_url(launched), {"limit": 10}).json()
    assert answer["messages"] == []
    campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.PAUSED
    assert campaign_a.pause_reason.startswith("Paused: 1 of the last 4 messages from")
    assert call(claim_url(launched), {"limit": 10}).status_code == 409  # paused: not sending


def test_a_rate_under_the_line_or_too_few_messages_pauses_nothing(strict, campaign_a, settings):
    account = campaign_a.email_account
    history(campaign_a, account, bounced=1, total=3)
    assert not bounce_rate.bounce_rate(account).too_high  # 3 messages: too few to judge
    history(campaign_a, account, bounced=0, total=1, prefix="more")
    assert bounce_rate.bounce_rate(account).too_high  # 1 of 4: 25%
    settings.BOUNCE_RATE_MAX_PERCENT = 40.0
    assert bounce_rate.pause_if_bouncing(account) == 0


def test_a_bounce_read_from_gmail_pauses_at_once(strict, sent, google):
    from tests.campaigns.events.test_replies import add_failure_notice

    history(sent.campaign, sent.email_account, bounced=0, total=3)
    add_failure_notice(google, sent.thread_id)
    with time_machine.travel(MONDAY_10AM_LA):
        check()
    campaign = Campaign.objects.get(pk=sent.campaign_id)
    assert (
        campaign.status == Campaign.Status.PAUSED
        and "1 of the last 5 messages" in campaign.pause_reason
    )


def test_the_campaigns_list_shows_the_unsubscribe_rate_beside_the_opens(client_a, message_a):
    MessageLog.objects.filter(pk=message_a.pk).update(
        status=Status.UNSUBSCRIBED, sent_at=timezone.now(), unsubscribed_at=timezone.now()
    )
    Campaign.objects.filter(pk=message_a.campaign_id).update(status=Campaign.Status.COMPLETED)
    page = client_a.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    headers = [h for h in ("Opened", "Unsubscribed", "Clicked") if h in page]
    assert headers == ["Opened", "Unsubscribed", "Clicked"]
    assert page.index("Opened") < page.index("Unsubscribed") < page.index("Clicked")
    assert "100%" in page
