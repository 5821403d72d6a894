"""A signed call cannot be replayed elsewhere, and runs once however often it is sent:
the request id of X-Signature, kept twice the signature's window (threats 7a and 7b)."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from campaigns.api import request_ids
from campaigns.models import Campaign, MessageLog, SignedRequest
from campaigns.n8n import signing
from tests.campaigns.conftest import (
    CHECK_REPLIES_URL,
    LOG_URL,
    TICK_URL,
    claim_url,
    n8n_dispatch,
    report,
    signed_call,
    token_url,
)

Status = MessageLog.Status
pytestmark = pytest.mark.usefixtures("n8n_secret")
REQUEST_ID = "n8n-retry-0123456789"


def replayed(url, body, header):
    return Client().post(url, body, content_type="application/json", HTTP_X_SIGNATURE=header)


def test_a_call_for_one_dispatch_is_refused_for_another_dispatch_or_endpoint(
    campaign_a, campaign_b, gmail_account, google
):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    sunset, paris = n8n_dispatch(campaign_a, 2), n8n_dispatch(campaign_b, 2)
    body = b"{}"
    captured = signing.sign(body, path=token_url(paris))  # Paris's own call, captured
    for url in (
        token_url(sunset),
        claim_url(sunset),
        claim_url(paris),
        TICK_URL,
        CHECK_REPLIES_URL,
        LOG_URL,
    ):
        response = replayed(url, body, captured)
        assert response.status_code == 401, url
        assert "access_token" not in response.json()
    assert set(MessageLog.objects.values_list("status", flat=True)) == {Status.QUEUED}
    assert google.refreshes == 0


def test_a_retried_claim_gets_the_same_batch_and_claims_nothing_more(campaign_a):
    launched = n8n_dispatch(campaign_a, 5)
    first = signed_call(claim_url(launched), {"limit": 2}, request_id=REQUEST_ID)
    again = signed_call(claim_url(launched), {"limit": 2}, request_id=REQUEST_ID)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert again[request_ids.REPLAYED_HEADER] == "true"
    assert MessageLog.objects.filter(status=Status.SENDING).count() == 2
    assert len(signed_call(claim_url(launched), {"limit": 2}).json()["messages"]) == 2


def test_a_retried_log_call_answers_as_the_first_and_records_once(campaign_a):
    launched = n8n_dispatch(campaign_a, 1)
    [message] = signed_call(claim_url(launched), {"limit": 1}).json()["messages"]
    first = signed_call(LOG_URL, report(message), request_id=REQUEST_ID)
    log = MessageLog.objects.get()
    again = signed_call(LOG_URL, report(message), request_id=REQUEST_ID)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and first.json()["results"][0]["changed"]
    assert MessageLog.objects.get().updated_at == log.updated_at  # not run a second time


def test_the_same_request_id_with_other_bytes_is_409_and_changes_nothing(campaign_a):
    launched = n8n_dispatch(campaign_a, 3)
    assert signed_call(claim_url(launched), {"limit": 1}, request_id=REQUEST_ID).status_code == 200
    for url, payload in (
        (claim_url(launched), {"limit": 2}),  # other body
        (token_url(launched), {"limit": 1}),  # other path
        (TICK_URL, {}),
    ):
        response = signed_call(url, payload, request_id=REQUEST_ID)
        assert response.status_code == 409, url
        assert response.json()["error"] == request_ids.REUSED
    assert MessageLog.objects.filter(status=Status.SENDING).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_calls_with_one_request_id_run_once(org_a, staff_a):
    from campaigns.models import CampaignStep, EmailAccount

    account = EmailAccount.objects.create(
        organization=org_a, user=staff_a, email_address="c@sunset.example", display_name="C"
    )
    campaign = Campaign.objects.create(organization=org_a, name="C", email_account=account)
    CampaignStep.objects.create(campaign=campaign, subject="s", body_template="b")
    launched = n8n_dispatch(campaign, 40)
    answers, barrier = [], threading.Barrier(4)

    def claimer():
        barrier.wait()
        answers.append(signed_call(claim_url(launched), {"limit": 5}, request_id=REQUEST_ID))
        connection.close()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [200] * 4
    assert len({answer.content for answer in answers}) == 1
    assert MessageLog.objects.filter(status=Status.SENDING).count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_retry_that_arrives_while_the_first_runs_waits_for_its_answer(n8n_secret):
    # The reply check runs outside a transaction (it waits on Google): its id is taken first.
    body = b"{}"
    header = signing.sign(body, path=CHECK_REPLIES_URL, request_id=REQUEST_ID)
    SignedRequest.objects.create(
        request_id=REQUEST_ID,
        fingerprint=request_ids.fingerprint("POST", CHECK_REPLIES_URL, body),
        created_at=timezone.now(),
    )

    def first_call_finishes():
        SignedRequest.objects.filter(pk=REQUEST_ID).update(
            status_code=200, response='{"accounts": 7}'
        )
        connection.close()

    threading.Timer(0.3, first_call_finishes).start()
    response = replayed(CHECK_REPLIES_URL, body, header)
    assert (response.status_code, response.json()) == (200, {"accounts": 7})


@pytest.mark.django_db(transaction=True)
def test_a_call_whose_process_died_unanswered_runs_again_on_its_retry(n8n_secret):
    body = b"{}"
    header = signing.sign(body, path=CHECK_REPLIES_URL, request_id=REQUEST_ID)
    SignedRequest.objects.create(
        request_id=REQUEST_ID,
        fingerprint=request_ids.fingerprint("POST", CHECK_REPLIES_URL, body),
        created_at=timezone.now() - request_ids.ABANDONED_AFTER - datetime.timedelta(seconds=1),
    )
    response = replayed(CHECK_REPLIES_URL, body, header)
    assert response.status_code == 200 and "accounts" in response.json()


def test_an_upstream_failure_is_not_remembered_so_a_retry_runs_again(
    campaign_a, gmail_account, google, settings
):
    gmail_account.token_expires_at = timezone.now()
    gmail_account.save()
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    launched = n8n_dispatch(campaign_a, 1)
    token_uri = settings.GOOGLE_TOKEN_URI
    settings.GOOGLE_TOKEN_URI = "http://127.0.0.1:9/token"  # nothing listens there
    assert signed_call(token_url(launched), request_id=REQUEST_ID).status_code == 502
    settings.GOOGLE_TOKEN_URI = token_uri
    answer = signed_call(token_url(launched), request_id=REQUEST_ID)
    assert answer.status_code == 200 and answer.json()["access_token"] in google.access_tokens


def test_request_ids_are_kept_twice_the_window_then_forgotten(campaign_a):
    launched = n8n_dispatch(campaign_a, 1)
    now = timezone.now()
    for name, age in (("kept-0123456789abcdef", 599), ("gone-0123456789abcdef", 601)):
        SignedRequest.objects.create(
            request_id=name,
            fingerprint="x" * 64,
            status_code=200,
            created_at=now - datetime.timedelta(seconds=age),
        )
    signed_call(claim_url(launched), {"limit": 1})
    kept = set(SignedRequest.objects.values_list("request_id", flat=True))
    assert "kept-0123456789abcdef" in kept and "gone-0123456789abcdef" not in kept
    assert len(kept) == 2  # the one kept, and the call just made
