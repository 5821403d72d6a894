"""The dispatch workflow's run survives what passes (dispatch.js, run by Node.js against
Django's live server and the Google stand-in): a server error page from Django, Gmail
errors that last, Gmail hanging after it accepted a message, Google's token endpoint
failing. Every lead gets one message, each report is honest, and the run ends when the
claim says the dispatch is done."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, Dispatch, EmailAccount, MessageLog
from campaigns.n8n import dispatch_payload, signing
from crm.models import Lead
from tests.campaigns.n8n.code_node import NODE, run_code_node
from tests.faulty_proxy import Fault, FaultyProxy
from tests.google_standin import google_error

SECRET = "run-survives-secret"
WEBHOOK = "http://127.0.0.1:5678/webhook/campaign-dispatch"
Status = MessageLog.Status
pytestmark = [
    pytest.mark.skipif(NODE is None, reason="Node.js runs the workflow's code"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def django_proxy(live_server, settings):
    """Django, reached by the workflow through a proxy that can fail on cue."""
    proxy = FaultyProxy(live_server.url)
    settings.PUBLIC_BASE_URL = proxy.url
    settings.N8N_WEBHOOK_SECRET = [SECRET]
    yield proxy
    proxy.stop()


@pytest.fixture
def blast(campaign_a, gmail_account, settings):
    """An n8n dispatch of campaign A to six leads, queued, not yet handed to n8n."""
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"R{n}", email=f"r{n}@example.com")
        for n in range(6)
    )
    settings.N8N_BASE_URL = ""
    launched = blasts.campaign_launch(campaign=campaign_a)
    Dispatch.objects.filter(pk=launched.pk).update(driver=Dispatch.Driver.N8N)
    launched.refresh_from_db()
    return launched


def run_dispatch(tmp_path, dispatch, gmail_url, **env):
    """One run of the dispatch workflow's Code node for the dispatch, as n8n runs it."""
    body = json.dumps(dispatch_payload(dispatch))
    header = signing.sign(body.encode(), path="/webhook/campaign-dispatch")
    return run_code_node(
        "dispatch.js",
        tmp_path,
        env={"CAMPAIGNS_WEBHOOK_SECRET": SECRET, "GMAIL_API_BASE_URL": gmail_url, **env},
        json_in={"headers": {"x-signature": header}, "webhookUrl": WEBHOOK},
        raw=body,
    )


def recipients(google):
    return [message["To"].addresses[0].addr_spec for message in google.sent]


def statuses(dispatch):
    return sorted(MessageLog.objects.filter(dispatch=dispatch).values_list("status", flat=True))


def test_server_error_pages_from_django_are_retried_and_each_lead_gets_one_message(
    tmp_path, django_proxy, blast, google
):
    # Django's HTML 500 (its database restarting) to claims, a report and the token call.
    django_proxy.add(Fault("/claim/", "error_page", times=3))
    django_proxy.add(Fault("/log-message/", "error_page", times=2))
    django_proxy.add(Fault("/token/", "error_page", times=1))
    result = run_dispatch(tmp_path, blast, google.base_url)
    assert "error" not in result, result
    [item] = result["items"]
    assert item["json"]["status"] == "completed"
    assert item["json"]["stats"] == {
        "total_leads": 6,
        "sent": 6,
        "failed": 0,
        "delivery_rate": 100,
    }
    assert sorted(recipients(google)) == [f"r{n}@example.com" for n in range(6)]
    assert statuses(blast) == [Status.SENT] * 6
    answered = [status for path, status in django_proxy.calls if path.endswith("/claim/")]
    assert answered[:3] == [500, 500, 500] and answered[-1] == 200


def test_gmail_errors_that_last_put_the_message_back_until_gmail_recovers(
    tmp_path, django_proxy, blast, google
):
    # Three tries fail (the workflow's), the message goes back, the account rests 30 s.
    google.send_failures.extend(google_error(500, "backendError") for _ in range(3))
    result = run_dispatch(tmp_path, blast, google.base_url)
    assert "error" not in result, result
    assert sorted(recipients(google)) == [f"r{n}@example.com" for n in range(6)]
    assert statuses(blast) == [Status.SENT] * 6  # not one failed for good
    account = EmailAccount.objects.get(pk=blast.email_account_id)
    assert "HTTP 500 backendError" in account.last_error  # it rested, and said why


def test_gmail_hanging_after_it_accepted_a_message_leaves_that_one_unknown_and_the_run_goes_on(
    tmp_path, django_proxy, blast, google
):
    gmail = FaultyProxy(google.base_url)
    gmail.add(Fault("/messages/send", "hang", times=1, seconds=4))
    try:
        result = run_dispatch(tmp_path, blast, gmail.url, GMAIL_TIMEOUT_SECONDS="1")
    finally:
        gmail.stop()
    assert "error" not in result, result
    assert result["items"][0]["json"]["status"] == "completed"
    # Gmail got all six, each once; the one whose answer never came is unknown, not resent.
    assert sorted(recipients(google)) == [f"r{n}@example.com" for n in range(6)]
    assert statuses(blast) == [Status.SENT] * 5 + [Status.UNKNOWN]
    unknown = MessageLog.objects.get(dispatch=blast, status=Status.UNKNOWN)
    assert "no answer from Gmail" in unknown.error_message


def test_the_token_endpoint_failing_for_a_while_is_retried_not_failed(
    tmp_path, django_proxy, blast, google, settings
):
    EmailAccount.objects.filter(pk=blast.email_account_id).update(
        token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    token_endpoint = FaultyProxy(google.base_url)
    token_endpoint.add(Fault("/token", "error_page", times=4))
    settings.GOOGLE_TOKEN_URI = f"{token_endpoint.url}/token"
    try:
        result = run_dispatch(tmp_path, blast, google.base_url)
    finally:
        token_endpoint.stop()
    assert "error" not in result, result
    assert [status for _, status in token_endpoint.calls] == [500, 500, 500, 500, 200]
    assert sorted(recipients(google)) == [f"r{n}@example.com" for n in range(6)]
    assert statuses(blast) == [Status.SENT] * 6


def test_a_token_gmail_no_longer_takes_is_refreshed_though_django_thought_it_valid(
    tmp_path, django_proxy, blast, google
):
    google.access_tokens.clear()  # Gmail forgot every access token (Django's is "valid")
    result = run_dispatch(tmp_path, blast, google.base_url)
    assert "error" not in result, result
    assert google.refreshes >= 1
    assert sorted(recipients(google)) == [f"r{n}@example.com" for n in range(6)]
    assert statuses(blast) == [Status.SENT] * 6
