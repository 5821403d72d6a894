"""Failure reasons in plain words wherever staff read them; the raw text stays for the
superuser."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Enrollment, MessageLog
from campaigns.outbox import failures
from tests.conftest import make_sequence

INVALID_TO = "HTTP 400 invalidArgument: Invalid To header"
IN_WORDS = "Gmail refused the address (invalid To header)"


@pytest.mark.parametrize(
    "raw, words",
    [
        (INVALID_TO, IN_WORDS),
        (
            "HTTP 400 invalidArgument: Invalid From header",
            "Gmail refused the message (invalid From header)",
        ),
        ("HTTP 400 failedPrecondition: Precondition check failed.", failures.NOT_SET_UP),
        (
            "HTTP 403 forbidden: Delegation denied for a@b.example",
            "Gmail refused to send from this account (delegation denied for a@b.example)",
        ),
        ("HTTP 403 dailyLimitExceeded: Daily limit", failures.LIMIT_REACHED),
        ("gave up after 5 attempts: HTTP 503 backendError: Backend Error", failures.GMAIL_DOWN),
        ("gave up after 5 attempts: HTTP 429 rateLimitExceeded: slow down", failures.GMAIL_BUSY),
        ("gave up after 5 attempts: could not connect to Gmail", failures.UNREACHABLE),
        ("no answer from Gmail (ReadTimeout)", failures.NO_ANSWER),
        ("failed in n8n", failures.N8N_NO_REASON),
        (
            "550 5.1.1 The email account that you tried to reach does not exist.",
            failures.NO_SUCH_ADDRESS,
        ),
        ("Delivery Status Notification (Failure) — Address not found", failures.NO_SUCH_ADDRESS),
        ("552 5.2.2 The recipient's inbox is out of storage space", failures.MAILBOX_FULL),
        ("Undeliverable: Message blocked by the recipient's policy", failures.BLOCKED),
        ("Mail Delivery Subsystem — a problem", failures.BOUNCED),
        (f"step 1 could not be sent: {INVALID_TO}", f"step 1 could not be sent: {IN_WORDS}"),
    ],
)
def test_raw_reasons_read_as_plain_words(raw, words):
    assert failures.in_words(raw) == words


def test_our_own_sentences_and_unknown_reasons_are_shown_as_written():
    own = "The lead opted out: not sent."
    assert failures.in_words(own) == own
    assert failures.in_words("something nobody foresaw") == "something nobody foresaw"
    assert failures.in_words("") == ""


@pytest.fixture
def failed(message_a):
    Campaign.objects.filter(pk=message_a.campaign_id).update(status=Campaign.Status.COMPLETED)
    MessageLog.objects.filter(pk=message_a.pk).update(
        status=MessageLog.Status.FAILED, error_message=INVALID_TO
    )
    return message_a


def pages(client, message):
    return {
        "home": client.get(reverse("admin:index")),
        "log": client.get(reverse("admin:campaigns_messagelog_changelist")),
        "message": client.get(reverse("admin:campaigns_messagelog_change", args=[message.pk])),
        "campaign": client.get(
            reverse("admin:campaigns_campaign_change", args=[message.campaign_id])
        ),
        "lead": client.get(reverse("admin:crm_lead_change", args=[message.lead_id])),
    }


def test_staff_read_the_reason_in_words_on_every_page_and_never_the_raw_text(client_a, failed):
    for name, response in pages(client_a, failed).items():
        page = response.content.decode()
        assert IN_WORDS in page, name
        assert "invalidArgument" not in page, name


def test_the_superuser_can_still_read_the_raw_text(admin_client_root, failed):
    for name in ("home", "message", "campaign"):
        page = pages(admin_client_root, failed)[name].content.decode()
        assert IN_WORDS in page and INVALID_TO in page, name


def test_a_stopped_enrollment_says_why_in_words(client_a, org_a, account_a, lead_a):
    sequence = make_sequence(org_a, account_a)
    Enrollment.objects.create(
        organization=org_a,
        campaign=sequence,
        lead=lead_a,
        started_at=sequence.created_at,
        state=Enrollment.State.STOPPED,
        stop_reason=f"step 1 could not be sent: {INVALID_TO}",
    )
    for url in (
        reverse("admin:campaigns_enrollment_changelist"),
        reverse("admin:crm_lead_change", args=[lead_a.pk]),
    ):
        page = client_a.get(url).content.decode()
        assert f"step 1 could not be sent: {IN_WORDS}" in page
        assert "invalidArgument" not in page
