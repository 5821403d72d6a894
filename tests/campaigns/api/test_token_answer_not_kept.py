"""No live token at rest in plain text (issue 24 §3): the token call's answer is not kept in
the replay store, so the table never holds an access token; a retry with the same request
id and bytes runs again and gets a valid token; other bytes with that id are still a 409."""

import pytest

from campaigns.api.request_ids import NOT_KEPT, REUSED
from campaigns.models import Campaign, SignedRequest
from tests.campaigns.conftest import n8n_dispatch, signed_call, token_url

pytestmark = pytest.mark.usefixtures("n8n_secret")
REQUEST_ID = "n8n-token-0123456789"


@pytest.fixture
def dispatch(campaign_a, gmail_account):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    return n8n_dispatch(campaign_a, 1)


def test_the_token_answer_is_not_kept_and_a_retry_gets_a_valid_token(dispatch, google):
    first = signed_call(token_url(dispatch), request_id=REQUEST_ID)
    assert first.status_code == 200
    access = first.json()["access_token"]
    stored = SignedRequest.objects.get(pk=REQUEST_ID)
    assert (stored.status_code, stored.response) == (200, NOT_KEPT)
    assert not SignedRequest.objects.filter(response__contains=access).exists()
    assert not SignedRequest.objects.filter(response__contains="access_token").exists()
    retry = signed_call(token_url(dispatch), request_id=REQUEST_ID)
    assert retry.status_code == 200
    assert retry.json()["access_token"] in google.access_tokens
    assert "Idempotent-Replayed" not in retry.headers
    assert not SignedRequest.objects.filter(response__contains="access_token").exists()


def test_the_same_id_with_other_bytes_is_still_refused(dispatch, google):
    assert signed_call(token_url(dispatch), request_id=REQUEST_ID).status_code == 200
    other = signed_call(token_url(dispatch), {"account_id": None}, request_id=REQUEST_ID)
    assert (other.status_code, other.json()) == (409, {"error": REUSED})
