"""n8n reports what Gmail answered and Django decides what follows, report by report: a
passing failure puts the message back and rests the account, only Google's permanent
answers fail it, no answer leaves it unknown, a late `sent` is believed, and a sent_at is
taken within the claim's window on the database's clock (issue 23)."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import EmailAccount, Enrollment, MessageLog
from campaigns.outbox import claims
from tests.campaigns.conftest import LOG_URL, claim_url, n8n_dispatch, report, signed_call

Status = MessageLog.Status
pytestmark = pytest.mark.usefixtures("n8n_secret")


def claimed(campaign, count=1):
    launched = n8n_dispatch(campaign, count)
    return signed_call(claim_url(launched), {"limit": count}).json()["messages"]


def logged(*reports):
    response = signed_call(LOG_URL, {"messages": list(reports)})
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


@pytest.mark.parametrize(
    ("gmail_status", "gmail_reason"),
    [(500, "backendError"), (503, ""), (429, "rateLimitExceeded"), (401, "authError")],
)
def test_a_passing_failure_puts_the_message_back_and_rests_the_account(
    campaign_a, gmail_status, gmail_reason
):
    [message] = claimed(campaign_a)
    error = f"HTTP {gmail_status} {gmail_reason}: Backend Error"
    failure = report(message, "failed", error=error, gmail_status=gmail_status)
    [result] = logged(failure | {"gmail_reason": gmail_reason})
    assert (result["status"], result["changed"]) == (Status.QUEUED, True)
    log = MessageLog.objects.get()
    assert (log.status, log.claimed_at, log.error_message) == (Status.QUEUED, None, error)
    account = EmailAccount.objects.get(pk=log.email_account_id)
    assert account.paused_until > timezone.now()
    assert Enrollment.objects.filter(state=Enrollment.State.STOPPED).count() == 0


def test_a_failure_reported_in_words_only_is_judged_by_gmails_status_in_them(campaign_a):
    one, two = claimed(campaign_a, 2)
    results = logged(
        report(one, "failed", error="HTTP 500 backendError: Backend Error"),
        report(two, "failed", error="HTTP 400 invalidArgument: Invalid To header"),
    )
    assert [result["status"] for result in results] == [Status.QUEUED, Status.FAILED]


def test_googles_permanent_answer_fails_the_message(campaign_a):
    [message] = claimed(campaign_a)
    failure = report(message, "failed", error="HTTP 400 invalidArgument: Invalid To header")
    [result] = logged(failure | {"gmail_status": 400, "gmail_reason": "invalidArgument"})
    assert result["status"] == Status.FAILED
    assert MessageLog.objects.get().status == Status.FAILED


def test_a_message_n8n_could_not_send_waits_again(campaign_a):
    [message] = claimed(campaign_a)
    [result] = logged(report(message, "not_sent", error="Gmail could not be reached: ECONNREFUSED"))
    assert result["status"] == Status.QUEUED
    assert MessageLog.objects.get().attempts == 1


def test_no_answer_leaves_the_message_unknown_never_sent_again(campaign_a):
    [message] = claimed(campaign_a)
    [result] = logged(report(message, "no_answer", error="no answer from Gmail: timeout"))
    assert result["status"] == Status.UNKNOWN
    assert MessageLog.objects.get().status == Status.UNKNOWN


def test_a_sent_report_for_a_claim_expired_to_unknown_is_recorded(campaign_a):
    [message] = claimed(campaign_a)
    claims.expire_stale_claims(now=timezone.now() + datetime.timedelta(hours=1))
    assert MessageLog.objects.get().status == Status.UNKNOWN
    [result] = logged(report(message, provider_message_id="gmail-late"))
    assert (result["status"], result["changed"]) == (Status.SENT, True)
    log = MessageLog.objects.get()
    assert (log.status, log.provider_message_id, log.error_message) == (
        Status.SENT,
        "gmail-late",
        "",
    )


def test_a_sent_at_25_hours_old_is_taken_at_the_claim_and_counts_against_the_cap(
    campaign_a, settings
):
    settings.OUTBOX_DATABASE_CLOCK = True  # the database's own clock, not the process's
    [message] = claimed(campaign_a)
    old = (timezone.now() - datetime.timedelta(hours=25)).isoformat()
    logged(report(message, sent_at=old))
    log = MessageLog.objects.get()
    assert log.sent_at == log.claimed_at
    account = EmailAccount.objects.get(pk=log.email_account_id)
    assert claims.sent_in_last_day(account) == 1


def test_one_conflicting_report_does_not_refuse_the_good_ones_of_its_batch(campaign_a):
    one, two, three = claimed(campaign_a, 3)
    logged(report(two, "failed", error="HTTP 400 invalidArgument: Invalid To header"))
    results = logged(report(one), report(two), report(three))
    assert [r["status"] for r in results] == [Status.SENT, Status.FAILED, Status.SENT]
    assert results[1]["code"] == 409 and not results[1]["changed"]
    assert MessageLog.objects.filter(status=Status.SENT).count() == 2
