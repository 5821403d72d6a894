"""The direct driver and the Gmail sender against the stand-in, with Google's failures."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Campaign, EmailAccount, MessageLog, StepSnapshot
from campaigns.outbox import claims, sending
from crm.models import Lead
from tests.google_standin import Reply, google_error

Status = MessageLog.Status


@pytest.fixture
def active_campaign(campaign_a, gmail_account):
    campaign_a.email_account = gmail_account
    campaign_a.status = Campaign.Status.ACTIVE
    campaign_a.save()
    return campaign_a


def queue(campaign, count=1, start=0):
    """Queued messages as a dispatch leaves them: rendered and frozen."""
    step = campaign.steps.get()
    logs = []
    for n in range(start, start + count):
        lead = Lead.objects.create(
            organization=campaign.organization, name=f"Lead {n}", email=f"lead{n}@example.com"
        )
        log = sending.queued_message(
            snapshot=StepSnapshot.of(step),
            lead=lead,
            account=campaign.email_account,
            message_id=f"<m{n}@gmail.example>",
        )
        log.save()
        logs.append(log)
    return logs


def drain(**options):
    out = StringIO()
    call_command("send_queued", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def statuses():
    return sorted(MessageLog.objects.values_list("status", flat=True))


def test_queued_messages_are_sent_and_recorded(active_campaign, google):
    queue(active_campaign, 3)
    assert "Handled 3 messages: 3 sent." in drain()
    assert statuses() == [Status.SENT] * 3
    log = MessageLog.objects.order_by("to_email").first()
    assert log.provider_message_id.startswith("gmail-") and log.sent_at
    sent = sorted(google.sent, key=lambda m: m["To"])[0]
    assert sent["To"] == "Lead 0 <lead0@example.com>"
    assert sent["Message-ID"] == "<m0@gmail.example>"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert drain() == "Handled 0 messages.\n"
    assert len(google.sent) == 3


def test_the_limit_option_stops_after_n(active_campaign, google):
    queue(active_campaign, 3)
    drain(limit=2)
    assert statuses() == [Status.QUEUED, Status.SENT, Status.SENT]


def test_a_429_with_retry_after_is_retried_and_sent_once(active_campaign, google):
    queue(active_campaign)
    google.send_failures = [Reply(429, {"error": {"code": 429}}, {"Retry-After": "0"})]
    drain()
    assert statuses() == [Status.SENT]
    assert (google.send_attempts, len(google.sent)) == (2, 1)


def test_5xx_are_retried_then_the_message_waits_again_and_the_account_rests(
    active_campaign, gmail_account, google, settings
):
    settings.GMAIL_MAX_ATTEMPTS = 3
    queue(active_campaign)
    google.send_failures = [google_error(500, "backendError")] * 3
    drain()
    log = MessageLog.objects.get()
    assert (log.status, log.attempts, log.claimed_at) == (Status.QUEUED, 1, None)
    assert "gave up after 3 attempts: HTTP 500 backendError" in log.error_message
    gmail_account.refresh_from_db()
    assert gmail_account.paused_until > timezone.now() + timedelta(seconds=25)
    assert "Sending failed for now" in gmail_account.last_error
    assert google.sent == []


def test_once_gmail_is_back_the_message_goes_out_once(active_campaign, google, settings):
    settings.GMAIL_MAX_ATTEMPTS = 1
    queue(active_campaign)
    google.send_failures = [google_error(503, "backendError")]
    drain()
    assert statuses() == [Status.QUEUED]
    EmailAccount.objects.update(paused_until=timezone.now())  # the account's rest is over
    drain()
    assert statuses() == [Status.SENT] and len(google.sent) == 1


def test_a_message_failing_for_now_fails_for_good_after_its_tries(
    active_campaign, gmail_account, google, settings
):
    settings.GMAIL_MAX_ATTEMPTS, settings.SEND_ATTEMPTS = 1, 4
    queue(active_campaign)
    rests = []
    for _ in range(4):
        google.send_failures = [google_error(500, "backendError")]
        drain()
        gmail_account.refresh_from_db()
        if gmail_account.paused_until:
            rests.append(round((gmail_account.paused_until - timezone.now()).total_seconds()))
            EmailAccount.objects.update(paused_until=None)  # the rest is over
    log = MessageLog.objects.get()
    assert rests == [30, 60, 120]  # longer after each try
    assert log.status == Status.FAILED and log.attempts == 4
    assert log.error_message.startswith("Still failing after 4 tries over ")
    assert "HTTP 500 backendError" in log.error_message


def test_an_expired_access_token_is_refreshed_once(active_campaign, gmail_account, google):
    google.access_tokens.clear()  # Google no longer accepts the stored access token
    queue(active_campaign)
    drain()
    assert statuses() == [Status.SENT] and google.refreshes == 1


def test_a_token_about_to_expire_is_refreshed_before_sending(
    active_campaign, gmail_account, google
):
    EmailAccount.objects.filter(pk=gmail_account.pk).update(
        token_expires_at=timezone.now() + timedelta(minutes=1)
    )
    queue(active_campaign)
    drain()
    assert google.refreshes == 1 and google.send_attempts == 1


def test_a_daily_limit_pauses_the_account_and_keeps_the_rest_queued(
    active_campaign, gmail_account, google
):
    queue(active_campaign, 3)
    google.send_failures = [google_error(403, "dailyLimitExceeded", "Daily limit exceeded")]
    drain()
    gmail_account.refresh_from_db()
    assert statuses() == [Status.QUEUED] * 3
    assert gmail_account.paused_until > timezone.now() + timedelta(hours=23)
    assert "Gmail limit reached" in gmail_account.last_error
    assert google.send_attempts == 1


def test_a_rejected_recipient_fails_that_message_only(active_campaign, google):
    queue(active_campaign, 2)
    google.send_failures = [google_error(400, "invalidArgument", "Invalid To header")]
    drain()
    assert statuses() == [Status.FAILED, Status.SENT]
    failed = MessageLog.objects.get(status=Status.FAILED)
    assert failed.error_message == "HTTP 400 invalidArgument: Invalid To header"


def test_a_revoked_token_marks_the_account_and_pauses_its_campaigns_without_looping(
    active_campaign, gmail_account, google
):
    queue(active_campaign, 3)
    google.revoked.add(gmail_account.refresh_token)
    google.access_tokens.clear()
    drain(loop=False)
    gmail_account.refresh_from_db()
    active_campaign.refresh_from_db()
    assert gmail_account.needs_reconnect and "connect the account again" in gmail_account.last_error
    assert active_campaign.status == Campaign.Status.PAUSED
    assert statuses() == [Status.QUEUED] * 3
    assert google.send_attempts == 1  # one 401, one refused refresh, then nothing more
    assert drain() == "Handled 0 messages.\n"


def test_a_slow_server_leaves_the_message_unknown_and_never_resends_it(
    active_campaign, google, settings
):
    settings.GMAIL_TIMEOUT_SECONDS = 0.2
    google.send_delay = 0.5
    queue(active_campaign)
    drain()
    log = MessageLog.objects.get()
    assert log.status == Status.UNKNOWN and "no answer from Gmail" in log.error_message
    drain()
    assert google.send_attempts == 1


def test_a_row_claimed_by_a_dead_sender_becomes_unknown_not_resent(active_campaign, google):
    log = queue(active_campaign)[0]
    MessageLog.objects.filter(pk=log.pk).update(
        status=Status.SENDING, claimed_at=timezone.now() - timedelta(hours=1)
    )
    drain()
    log.refresh_from_db()
    assert log.status == Status.UNKNOWN and google.send_attempts == 0


def test_a_claim_is_taken_once(active_campaign, gmail_account):
    queue(active_campaign, 2)
    first, second, third = (claims.claim_for_account(gmail_account).messages for _ in range(3))
    assert first[0].pk != second[0].pk and third == []


def test_an_unsubscribed_lead_is_skipped(active_campaign, google):
    log = queue(active_campaign)[0]
    Lead.objects.filter(pk=log.lead_id).update(unsubscribed_at=timezone.now())
    drain()
    log.refresh_from_db()
    assert log.status == Status.SKIPPED and google.sent == []


def test_the_daily_cap_of_the_account_holds(active_campaign, gmail_account, google):
    EmailAccount.objects.filter(pk=gmail_account.pk).update(daily_limit=2)
    queue(active_campaign, 3)
    drain()
    assert statuses() == [Status.QUEUED, Status.SENT, Status.SENT]


def test_paused_campaigns_do_not_send(active_campaign, google):
    queue(active_campaign)
    Campaign.objects.update(status=Campaign.Status.PAUSED)
    drain()
    assert statuses() == [Status.QUEUED]


def test_the_sandbox_provider_writes_eml_files(campaign_a, account_a, settings, tmp_path):
    settings.SANDBOX_OUTBOX_DIR = tmp_path
    EmailAccount.objects.filter(pk=account_a.pk).update(provider=EmailAccount.Provider.SANDBOX)
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.ACTIVE)
    campaign_a.refresh_from_db()
    queue(campaign_a, 2)
    drain()
    files = sorted(Path(tmp_path, str(account_a.pk)).glob("*.eml"))
    assert len(files) == 2 and statuses() == [Status.SENT] * 2
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in files[0].read_bytes()


def test_an_unreachable_token_endpoint_leaves_the_message_queued(
    active_campaign, gmail_account, google, settings
):
    settings.GOOGLE_TOKEN_URI = "http://127.0.0.1:9/token"  # nothing listens there
    EmailAccount.objects.filter(pk=gmail_account.pk).update(token_expires_at=timezone.now())
    queue(active_campaign)
    assert "Handled 1 message: 1 queued." in drain()
    log = MessageLog.objects.get()
    assert log.status == Status.QUEUED and "did not answer" in log.error_message
    assert google.send_attempts == 0
