"""The dispatch-scoped endpoints refuse finished work: token and claim answer 409 unless
the dispatch is running and its campaign active (issue 13, section 2)."""

import pytest

from campaigns.models import Campaign, Dispatch, MessageLog
from tests.campaigns.conftest import claim_url, n8n_dispatch, signed_call, token_url

pytestmark = pytest.mark.usefixtures("n8n_secret")


def pause(campaign, launched):
    campaign.pause()


def cancel(campaign, launched):
    campaign.cancel()


def complete_dispatch(campaign, launched):
    Dispatch.objects.filter(pk=launched.pk).update(status=Dispatch.Status.COMPLETED)


def schedule(campaign, launched):
    Dispatch.objects.filter(pk=launched.pk).update(status=Dispatch.Status.SCHEDULED)


@pytest.fixture
def sending(campaign_a, gmail_account, google):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    return n8n_dispatch(campaign_a, 2)


@pytest.mark.parametrize("stop", [pause, cancel, complete_dispatch, schedule])
def test_token_and_claim_answer_409_once_the_dispatch_is_not_sending(campaign_a, sending, stop):
    stop(campaign_a, sending)
    statuses = set(MessageLog.objects.values_list("status", flat=True))
    for url in (token_url(sending), claim_url(sending)):
        response = signed_call(url)
        assert response.status_code == 409, url
        assert "access_token" not in response.json() and "messages" not in response.json()
        assert response.json()["state"] == Campaign.objects.get().status
    assert set(MessageLog.objects.values_list("status", flat=True)) == statuses


def test_a_running_dispatch_of_an_active_campaign_gets_both(sending, google):
    assert signed_call(token_url(sending)).status_code == 200
    assert len(signed_call(claim_url(sending)).json()["messages"]) == 2
