"""Replies and bounces, read (headers only) from the local Gmail stand-in's threads."""

import json
from io import StringIO

import pytest
import requests
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from campaigns.accounts import gmail, oauth
from campaigns.models import (
    STOPPED_BOUNCED,
    STOPPED_REPLIED,
    EmailAccount,
    Enrollment,
    MessageLog,
    StepSnapshot,
)
from campaigns.n8n import signing
from campaigns.outbox import sending
from crm.models import Lead, SuppressedAddress
from tests.campaigns.accounts.test_gmail_connect import callback, consent
from tests.google_standin import METADATA_SCOPE, google_error

Status = MessageLog.Status
DAEMON = "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"
FAILURE_NOTICE = {
    "X-Failed-Recipients": "ana@example.com",
    "Auto-Submitted": "auto-replied",
    "Content-Type": 'multipart/report; report-type=delivery-status; boundary="b"',
}
ADDRESS_NOT_FOUND = (
    "Address not found Your message wasn&#39;t delivered to ana@example.com because the "
    "address couldn&#39;t be found, or is unable to receive mail."
)


def check(**options) -> str:
    out = StringIO()
    call_command("check_replies", stdout=out, **options)
    return out.getvalue()


def add_failure_notice(google, thread_id: str) -> None:
    """Gmail's own bounce for ana@example.com, as it lands in the message's thread."""
    google.add_message(
        thread_id,
        sender=DAEMON,
        subject="Delivery Status Notification (Failure)",
        headers=FAILURE_NOTICE,
        snippet=ADDRESS_NOT_FOUND,
    )


def thread_reads(google) -> list[str]:
    return [read.split("?")[0] for read in google.reads if read.startswith("threads/")]


def test_a_reply_from_the_lead_marks_the_message_replied_and_stops_the_sequence(sent, google):
    assert sent.status == Status.SENT and sent.thread_id
    google.add_message(sent.thread_id, sender="Ana Souza <ANA@example.com>", subject="Re: Hi A")
    assert check() == "alice@gmail.example: 2 threads read, 1 replied, 0 bounced.\n"
    sent.refresh_from_db()
    assert sent.status == Status.REPLIED and sent.replied_at
    enrollment = Enrollment.objects.get(lead=sent.lead)
    assert enrollment.state == Enrollment.State.STOPPED
    assert enrollment.stop_reason == STOPPED_REPLIED
    other = Enrollment.objects.exclude(lead=sent.lead).get()
    assert other.state == Enrollment.State.ACTIVE


def test_the_running_sender_reads_replies_too(sent, google):
    """`send_queued --loop` (what `make run` starts) checks replies as it starts, then every
    15 minutes; --limit ends this run after its first send."""
    google.add_message(sent.thread_id, sender="Ana <ana@example.com>")
    lead = Lead.objects.create(organization=sent.organization, name="Dee", email="dee@example.com")
    sending.queued_message(
        snapshot=StepSnapshot.of(sent.campaign_step), lead=lead, account=sent.email_account
    ).save()
    call_command("send_queued", loop=True, limit=1, stdout=StringIO(), stderr=StringIO())
    sent.refresh_from_db()
    assert sent.status == Status.REPLIED
    assert MessageLog.objects.get(lead=lead).status == Status.SENT


def test_a_failure_notice_marks_the_message_bounced_with_its_reason_and_suppresses(sent, google):
    add_failure_notice(google, sent.thread_id)
    assert "0 replied, 1 bounced" in check()
    sent.refresh_from_db()
    assert sent.status == Status.BOUNCED and sent.bounced_at and not sent.replied_at
    assert sent.error_message.startswith("Delivery Status Notification (Failure) — Address not")
    assert "wasn't delivered" in sent.error_message
    suppressed = SuppressedAddress.objects.get(
        organization=sent.organization, email="ana@example.com"
    )
    assert suppressed.reason == SuppressedAddress.Reason.BOUNCED
    enrollment = Enrollment.objects.get(lead=sent.lead)
    assert enrollment.stop_reason == STOPPED_BOUNCED


def test_a_bounce_without_x_failed_recipients_is_known_by_sender_and_subject(sent, google):
    google.add_message(
        sent.thread_id,
        sender="postmaster@example.com",
        subject="Undeliverable: Hi A",
        snippet="Delivery has failed to these recipients or groups",
    )
    check()
    sent.refresh_from_db()
    assert sent.status == Status.BOUNCED
    assert sent.error_message.startswith("Undeliverable: Hi A — Delivery has failed")


def test_our_own_messages_others_and_delay_notices_change_nothing(sent, google):
    thread = sent.thread_id
    google.add_message(thread, sender="Alice Agent <alice@gmail.example>", labels=("SENT",))
    google.add_message(thread, sender="alice@gmail.example", labels=("INBOX",))
    google.add_message(thread, sender="Bob Colleague <bob@sunset.example>")
    google.add_message(
        thread,
        sender=DAEMON,
        subject="Delivery Status Notification (Delay)",
        snippet="Message not delivered yet: Gmail will retry for 46 more hours",
    )
    assert "0 replied, 0 bounced" in check()
    sent.refresh_from_db()
    assert sent.status == Status.SENT and not sent.replied_at and not sent.bounced_at
    assert not SuppressedAddress.objects.exists()
    assert not Enrollment.objects.filter(state=Enrollment.State.STOPPED).exists()


def test_a_second_run_changes_nothing_and_reads_only_what_changed(sent, google):
    google.add_message(sent.thread_id, sender="ana@example.com")
    check()
    sent.refresh_from_db()
    first = (sent.status, sent.replied_at, sent.updated_at)
    assert sorted(thread_reads(google)) == ["threads/thread-1", "threads/thread-2"]
    google.reads.clear()
    google.add_message(sent.thread_id, sender="ana@example.com", subject="Re: and also")
    assert "0 threads read, 0 replied" in check()
    sent.refresh_from_db()
    assert (sent.status, sent.replied_at, sent.updated_at) == first
    # The history says the reply's thread changed, but its message is no longer watched.
    assert thread_reads(google) == [] and google.reads[0].startswith("history?")


def test_only_changed_threads_are_read_and_a_run_reads_one_batch(sent, google, settings):
    carl = MessageLog.objects.get(to_email="carl@example.com")
    check()
    google.reads.clear()
    google.add_message(sent.thread_id, sender="ana@example.com")
    google.add_message(carl.thread_id, sender="carl@example.com")
    settings.GMAIL_REPLIES_BATCH = 1
    assert "1 thread read, 1 replied" in check()
    assert "1 thread read, 1 replied" in check()
    assert "0 threads read" in check()
    assert set(MessageLog.objects.values_list("status", flat=True)) == {Status.REPLIED}
    assert sorted(thread_reads(google)) == sorted(
        [f"threads/{sent.thread_id}", f"threads/{carl.thread_id}"]
    )


def test_history_that_gmail_forgot_is_replaced_by_reading_the_latest_threads(sent, google):
    check()
    google.add_message(sent.thread_id, sender="ana@example.com")
    google.history_forgotten_before = google.history_id + 1
    assert "1 replied" in check()
    assert any(read.startswith("profile") for read in google.reads[-4:])


def test_a_429_stops_the_run_loses_nothing_and_the_next_run_finds_the_reply(sent, google):
    check()
    history_id = EmailAccount.objects.get(pk=sent.email_account_id).replies_history_id
    google.add_message(sent.thread_id, sender="ana@example.com")
    google.read_failures.append(google_error(429, "rateLimitExceeded", "Too many requests"))
    output = check()
    assert "Gmail did not answer (HTTP 429 rateLimitExceeded" in output
    account = EmailAccount.objects.get(pk=sent.email_account_id)
    assert account.replies_history_id == history_id and "429" in account.replies_error
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert "1 replied" in check()
    account.refresh_from_db()
    assert account.replies_error == "" and account.replies_history_id != history_id


def test_a_grant_without_the_metadata_permission_turns_detection_off_with_a_message(
    sent, google, client_a
):
    account = EmailAccount.objects.get(pk=sent.email_account_id)
    google.token_scopes[account.access_token] = google.granted_scopes  # the user took it back
    google.add_message(sent.thread_id, sender="ana@example.com")
    assert oauth.METADATA_NOT_GRANTED in check()
    account.refresh_from_db()
    assert account.replies_error == oauth.METADATA_NOT_GRANTED and not account.may_read_headers
    reads = len(google.reads)
    check()
    assert len(google.reads) == reads  # no more calls until the account is reconnected
    page = client_a.get(reverse("admin:campaigns_emailaccount_change", args=[account.pk]))
    assert "View your email message metadata" in page.content.decode()


def test_a_revoked_grant_marks_the_account_for_reconnection(sent, google):
    account = EmailAccount.objects.get(pk=sent.email_account_id)
    google.revoked.add(account.refresh_token)
    google.access_tokens.discard(account.access_token)
    assert "connect the account again" in check()
    account.refresh_from_db()
    assert account.needs_reconnect


def test_an_account_reads_only_its_own_organizations_messages(sent, google, message_b, account_b):
    # Thread ids are per mailbox: another organization's message may carry the same one.
    MessageLog.objects.filter(pk=message_b.pk).update(
        status=Status.SENT,
        sent_at=sent.sent_at,
        thread_id=sent.thread_id,
        email_account=account_b,
    )
    google.add_message(sent.thread_id, sender="bruno@example.com")
    google.add_message(sent.thread_id, sender="ana@example.com")
    check(account=str(sent.email_account_id))
    message_b.refresh_from_db()
    assert message_b.status == Status.SENT and not message_b.replied_at
    sent.refresh_from_db()
    assert sent.status == Status.REPLIED


def test_the_signed_endpoint_checks_every_account_and_refuses_bad_signatures(
    sent, google, settings
):
    settings.N8N_WEBHOOK_SECRET = ["replies-secret"]
    google.add_message(sent.thread_id, sender="ana@example.com")
    url, body = "/api/campaigns/check-replies/", b"{}"
    for header in ("", signing.sign(body, path=url, secret="wrong")):
        response = Client().post(
            url, body, content_type="application/json", HTTP_X_SIGNATURE=header
        )
        assert response.status_code == 401
    assert google.reads == []
    response = Client().post(
        url, body, content_type="application/json", HTTP_X_SIGNATURE=signing.sign(body, path=url)
    )
    assert json.loads(response.content) == {
        "accounts": 1,
        "threads": 2,
        "replied": 1,
        "bounced": 0,
        "problems": [],
    }


def test_the_stand_in_refuses_bodies_so_the_tests_prove_we_never_ask(detecting, google):
    with pytest.raises(gmail.ReadFailed):
        gmail.read(detecting, "threads/thread-1", [("format", "full")])
    assert google.problems == ["gmail: format=full asked (only metadata is allowed)"]
    google.problems.clear()


def test_the_connect_flow_asks_for_the_metadata_permission_only_when_opted_in(
    client_a, org_a, google
):
    callback(client_a, consent(client_a, google))
    assert METADATA_SCOPE not in google.requested_scopes[-1].split()
    account = EmailAccount.objects.get(organization=org_a)
    assert not account.detect_replies and not account.may_read_headers

    change = reverse("admin:campaigns_emailaccount_change", args=[account.pk])
    form = {
        "email_address": account.email_address,
        "display_name": account.display_name,
        "reply_to": "",
        "daily_limit": 500,
        "warmup_days": 0,
        "is_active": "on",
        "is_primary": "on",
        "detect_replies": "on",
    }
    response = client_a.post(change, form, follow=True)
    assert "use “Reconnect” on this account" in response.content.decode()
    redirect = client_a.post(reverse("admin:campaigns_emailaccount_reconnect", args=[account.pk]))
    assert METADATA_SCOPE in redirect["Location"].replace("%2F", "/").replace("%3A", ":")
    back = requests.get(redirect["Location"], allow_redirects=False, timeout=5)
    _, notes = callback(client_a, back.headers["Location"])
    assert notes == [f"Reconnected {google.email}. A test email was sent to that address."]
    assert METADATA_SCOPE in google.requested_scopes[-1].split()
    account.refresh_from_db()
    assert account.detect_replies and account.may_read_headers and account.replies_error == ""
    assert "On, not checked yet." in client_a.get(change).content.decode()


def test_a_connection_without_the_metadata_grant_still_sends_and_says_detection_is_off(
    client_a, org_a, google
):
    google.agrees_to = set()  # the user unticks the optional permission
    callback(client_a, consent(client_a, google))
    account = EmailAccount.objects.get(organization=org_a)
    EmailAccount.objects.filter(pk=account.pk).update(detect_replies=True)
    redirect = client_a.post(reverse("admin:campaigns_emailaccount_reconnect", args=[account.pk]))
    back = requests.get(redirect["Location"], allow_redirects=False, timeout=5)
    _, notes = callback(client_a, back.headers["Location"])
    assert notes == [
        f"Reconnected {google.email}. A test email was sent to that address.",
        oauth.METADATA_NOT_GRANTED,
    ]
    account.refresh_from_db()
    assert account.can_send and not account.may_read_headers
    assert account.replies_error == oauth.METADATA_NOT_GRANTED
    assert oauth.METADATA_NOT_GRANTED in check()


def test_the_admin_shows_detection_and_the_bounce_reason(sent, google, client_a):
    add_failure_notice(google, sent.thread_id)
    check()
    account_page = client_a.get(
        reverse("admin:campaigns_emailaccount_change", args=[sent.email_account_id])
    ).content.decode()
    assert "On, last checked" in account_page
    log_page = client_a.get(reverse("admin:campaigns_messagelog_changelist")).content.decode()
    assert "The address does not exist (the receiving mail server bounced it)" in log_page
