"""n8n reports what Gmail did; Django decides what becomes of the message: a passing error
puts it back and rests the account, a permanent one fails it, no answer makes it unknown
(never resent), and Gmail not reached puts it back. The claim says when the dispatch is done,
and records that the run claimed."""

import pytest

from campaigns.models import Campaign, Dispatch, EmailAccount, MessageLog
from tests.campaigns.conftest import LOG_URL, claim_url, n8n_dispatch, report
from tests.campaigns.conftest import signed_call as call

Status = MessageLog.Status
pytestmark = pytest.mark.usefixtures("n8n_secret")


def claimed_one(campaign):
    launched = n8n_dispatch(campaign, 1)
    [message] = call(claim_url(launched), {"limit": 1}).json()["messages"]
    return launched, message


@pytest.mark.parametrize(
    ("gmail_status", "reason"),
    [(500, "backendError"), (503, ""), (429, "rateLimitExceeded"), (403, "userRateLimitExceeded")],
)
def test_a_passing_gmail_error_puts_the_message_back_and_rests_the_account(
    campaign_a, gmail_status, reason
):
    launched, message = claimed_one(campaign_a)
    failed = report(message, "failed", error=f"HTTP {gmail_status} {reason}: busy")
    failed.update(gmail_status=gmail_status, gmail_reason=reason)
    answer = call(LOG_URL, failed).json()
    assert answer["results"][0]["status"] == Status.QUEUED
    log = MessageLog.objects.get()
    assert (log.status, log.claimed_at) == (Status.QUEUED, None)
    account = EmailAccount.objects.get(pk=launched.email_account_id)
    assert account.paused_until is not None and str(gmail_status) in account.last_error
    assert Campaign.objects.get(pk=campaign_a.pk).failure_streak == 0  # not a failure


def test_a_permanent_gmail_refusal_fails_the_message(campaign_a):
    _, message = claimed_one(campaign_a)
    refused = report(message, "failed", error="HTTP 400 invalidArgument: Invalid To header")
    refused.update(gmail_status=400, gmail_reason="invalidArgument")
    assert call(LOG_URL, refused).json()["results"][0]["status"] == Status.FAILED
    assert MessageLog.objects.get().status == Status.FAILED


def test_no_answer_from_gmail_makes_the_message_unknown_never_resent(campaign_a):
    launched, message = claimed_one(campaign_a)
    hung = report(message, "no_answer", error="no answer from Gmail: timeout of 30000ms")
    assert call(LOG_URL, hung).json()["results"][0]["status"] == Status.UNKNOWN
    assert MessageLog.objects.get().status == Status.UNKNOWN
    assert EmailAccount.objects.get(pk=launched.email_account_id).paused_until is not None
    again = call(LOG_URL, hung)  # the same report again (a retry): nothing more changes
    assert again.status_code == 200 and not again.json()["results"][0]["changed"]


def test_gmail_not_reached_puts_the_message_back(campaign_a):
    _, message = claimed_one(campaign_a)
    answer = call(LOG_URL, report(message, "not_sent", error="no new access token")).json()
    assert answer["results"][0]["status"] == Status.QUEUED
    assert MessageLog.objects.get().status == Status.QUEUED


def test_the_claim_says_done_once_nothing_is_left_and_records_each_claim(campaign_a):
    launched = n8n_dispatch(campaign_a, 1)
    first = call(claim_url(launched), {"limit": 1}).json()
    assert len(first["messages"]) == 1 and first["done"] is False
    dispatch = Dispatch.objects.get()
    assert dispatch.last_claim_at is not None and dispatch.run_due_by > dispatch.last_claim_at
    call(LOG_URL, report(first["messages"][0]))
    last = call(claim_url(launched), {"limit": 1}).json()
    assert (last["messages"], last["done"]) == ([], True)
    assert Dispatch.objects.get().run_due_by is None  # the run ends: none is expected


def test_a_claim_told_to_wait_expects_the_run_back_after_the_wait(campaign_a, settings):
    settings.N8N_WATCHDOG_MINUTES = 5
    launched = n8n_dispatch(campaign_a, 2)
    EmailAccount.objects.filter(pk=launched.email_account_id).update(daily_limit=0)
    answer = call(claim_url(launched), {"limit": 1}).json()
    assert answer["messages"] == [] and answer["retry_after"] > 0 and not answer["done"]
    dispatch = Dispatch.objects.get()
    waited = (dispatch.run_due_by - dispatch.last_claim_at).total_seconds()
    assert waited >= answer["retry_after"] + 5 * 60 - 1


def test_a_claim_refused_on_a_pause_expects_no_run(campaign_a):
    launched = n8n_dispatch(campaign_a, 1)
    call(claim_url(launched), {"limit": 1})
    assert Dispatch.objects.get().run_due_by is not None
    Campaign.objects.get(pk=campaign_a.pk).pause()
    assert call(claim_url(launched), {"limit": 1}).status_code == 409
    assert Dispatch.objects.get().run_due_by is None
