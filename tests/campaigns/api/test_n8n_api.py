"""The API n8n calls: signed, tenant-checked, idempotent; and the signed call to n8n."""

import base64
import datetime
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

from campaigns import n8n
from campaigns.api.views import UNKNOWN_MESSAGE
from campaigns.launching import blasts
from campaigns.models import Campaign, Dispatch, MessageLog
from campaigns.n8n import signing
from campaigns.outbox import claims
from crm.models import Lead
from tests.campaigns.conftest import (
    LOG_URL,
    STATUS_URL,
    claim_url,
    n8n_dispatch,
    report,
    token_url,
)
from tests.campaigns.conftest import signed_call as call

Status = MessageLog.Status
pytestmark = pytest.mark.usefixtures("n8n_secret")


def test_claims_hand_out_disjoint_batches_of_ready_messages(campaign_a):
    launched = n8n_dispatch(campaign_a, 5)
    first = call(claim_url(launched), {"limit": 3}).json()
    second = call(claim_url(launched), {"limit": 3}).json()
    ids = [m["message_log_id"] for m in first["messages"] + second["messages"]]
    assert len(ids) == len(set(ids)) == 5
    assert (first["remaining"], second["remaining"]) == (2, 0)
    message = first["messages"][0]
    raw = base64.urlsafe_b64decode(message["raw"])
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert set(MessageLog.objects.values_list("status", flat=True)) == {Status.SENDING}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claimers_never_share_a_message(org_a, staff_a):
    from campaigns.models import CampaignStep, EmailAccount

    account = EmailAccount.objects.create(
        organization=org_a, user=staff_a, email_address="c@sunset.example", display_name="C"
    )
    campaign = Campaign.objects.create(organization=org_a, name="C", email_account=account)
    CampaignStep.objects.create(campaign=campaign, subject="s", body_template="b")
    launched = n8n_dispatch(campaign, 60)
    got: list[str] = []  # the message ids each claim gave
    barrier = threading.Barrier(2)

    def claimer():
        barrier.wait()
        for _ in range(10):
            got.extend(
                m["message_log_id"]
                for m in call(claim_url(launched), {"limit": 7}).json()["messages"]
            )
        connection.close()

    threads = [threading.Thread(target=claimer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == len(set(got)) == 60


@pytest.mark.parametrize("header", ["none", "t=1,v1=00", "Bearer shared-secret"])
def test_unsigned_or_forged_calls_get_401_and_change_nothing(campaign_a, header):
    launched = n8n_dispatch(campaign_a)
    for url in (
        claim_url(launched),
        token_url(launched),
        LOG_URL,
        STATUS_URL,
    ):
        assert call(url, {"limit": 1}, header=header).status_code == 401
    assert set(MessageLog.objects.values_list("status", flat=True)) == {Status.QUEUED}


def test_a_body_changed_after_signing_gets_401(campaign_a):
    launched = n8n_dispatch(campaign_a)
    header = signing.sign(b'{"limit": 1}', path=claim_url(launched))
    assert call(claim_url(launched), header=header, raw=b'{"limit": 2}').status_code == 401


def test_malformed_json_gets_400(campaign_a):
    launched = n8n_dispatch(campaign_a)
    assert call(claim_url(launched), raw=b"{not json").status_code == 400
    assert call(LOG_URL, raw=b"[1, 2]").status_code == 400


def test_logging_a_result_is_idempotent(campaign_a):
    launched = n8n_dispatch(campaign_a, 1)
    [message] = call(claim_url(launched), {"limit": 5}).json()["messages"]
    first = call(LOG_URL, report(message))
    again = call(LOG_URL, report(message))
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["results"][0]["changed"] and not again.json()["results"][0]["changed"]
    log = MessageLog.objects.get()
    assert (log.status, log.provider_message_id) == (Status.SENT, "gmail-1")
    # The report's sent_at (2026-11-24) is before the claim: it is taken at the claim.
    assert log.sent_at == log.claimed_at


def test_a_batch_logs_sent_and_failed_together(campaign_a):
    launched = n8n_dispatch(campaign_a, 2)
    one, two = call(claim_url(launched), {"limit": 5}).json()["messages"]
    response = call(
        LOG_URL, {"messages": [report(one), report(two, "failed", error="Invalid To header")]}
    )
    assert response.status_code == 200
    failed = MessageLog.objects.get(status=Status.FAILED)
    assert failed.error_message == "Invalid To header"


def test_a_log_for_a_message_that_was_not_claimed_is_refused(campaign_a):
    launched = n8n_dispatch(campaign_a, 1)
    log = MessageLog.objects.get(dispatch=launched)
    message = {
        "campaign_id": str(campaign_a.pk),
        "lead_id": str(log.lead_id),
        "message_log_id": str(log.pk),
    }
    assert call(LOG_URL, report(message)).status_code == 409
    log.refresh_from_db()
    assert log.status == Status.QUEUED


def test_another_organizations_message_is_404_and_unchanged(campaign_a, campaign_b):
    mine, theirs = n8n_dispatch(campaign_a, 1), n8n_dispatch(campaign_b, 1)
    [message_b] = call(claim_url(theirs), {"limit": 1}).json()["messages"]
    forged = report(message_b) | {"campaign_id": str(campaign_a.pk)}
    assert call(LOG_URL, forged).status_code == 404
    unknown = report(message_b) | {"message_log_id": "00000000-0000-0000-0000-000000000000"}
    assert call(LOG_URL, unknown).status_code == 404
    assert MessageLog.objects.get(dispatch=theirs).status == Status.SENDING
    assert mine.pk != theirs.pk


def test_a_batch_with_one_bad_id_records_the_others_and_says_which_was_refused(campaign_a):
    launched = n8n_dispatch(campaign_a, 2)
    one, two = call(claim_url(launched), {"limit": 5}).json()["messages"]
    bad = report(two) | {"message_log_id": "00000000-0000-0000-0000-000000000000"}
    response = call(LOG_URL, {"messages": [report(one), bad]})
    assert response.status_code == 200
    good, refused = response.json()["results"]
    assert (good["status"], good["changed"]) == (Status.SENT, True)
    assert (refused["code"], refused["error"], refused["changed"]) == (404, UNKNOWN_MESSAGE, False)
    assert MessageLog.objects.get(pk=one["message_log_id"]).status == Status.SENT
    assert MessageLog.objects.get(pk=two["message_log_id"]).status == Status.SENDING


def test_a_single_report_refused_keeps_the_specs_answer(campaign_a):
    launched = n8n_dispatch(campaign_a, 1)
    [message] = call(claim_url(launched), {"limit": 5}).json()["messages"]
    bad = report(message) | {"message_log_id": "00000000-0000-0000-0000-000000000000"}
    assert call(LOG_URL, bad).status_code == 404
    assert MessageLog.objects.get().status == Status.SENDING


def test_the_status_callback_completes_the_dispatch_and_is_idempotent(campaign_a):
    launched = n8n_dispatch(campaign_a, 1)
    [message] = call(claim_url(launched), {"limit": 5}).json()["messages"]
    call(LOG_URL, report(message))
    payload = {
        "campaign_id": str(campaign_a.pk),
        "status": "completed",
        "stats": {"total_leads": 1, "sent": 1, "failed": 0, "delivery_rate": 100.0},
        "errors": [],
    }
    for _ in range(2):
        response = call(STATUS_URL, payload)
        assert response.status_code == 200 and response.json()["status"] == "completed"
    launched.refresh_from_db()
    assert launched.reported_stats["delivery_rate"] == 100.0
    assert Campaign.objects.get(pk=campaign_a.pk).status == Campaign.Status.COMPLETED


def test_status_for_an_unknown_campaign_is_404(campaign_a):
    payload = {"campaign_id": "00000000-0000-0000-0000-000000000000", "status": "completed"}
    assert call(STATUS_URL, payload).status_code == 404
    assert call(STATUS_URL, {"campaign_id": "x", "status": "weird"}).status_code == 400


def test_a_paused_campaign_hands_out_nothing(campaign_a):
    launched = n8n_dispatch(campaign_a, 2)
    campaign_a.pause()
    response = call(claim_url(launched), {"limit": 5})
    assert response.status_code == 409 and response.json()["state"] == "paused"
    assert set(MessageLog.objects.values_list("status", flat=True)) == {Status.QUEUED}


def test_an_unsubscribed_lead_is_skipped_at_claim(campaign_a):
    launched = n8n_dispatch(campaign_a, 2)
    Lead.objects.filter(pk=MessageLog.objects.first().lead_id).update(
        unsubscribed_at=timezone.now()
    )
    assert len(call(claim_url(launched), {"limit": 5}).json()["messages"]) == 1
    assert MessageLog.objects.filter(status=Status.SKIPPED).count() == 1


def test_the_token_endpoint_gives_an_access_token_only(campaign_a, gmail_account, google):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    launched = n8n_dispatch(campaign_a, 1)
    data = call(token_url(launched)).json()
    assert data["access_token"] in google.access_tokens
    assert gmail_account.refresh_token not in json.dumps(data)


class FakeN8n:
    """A loopback server standing in for n8n's webhook: answers a scripted list of codes."""

    def __init__(self, codes):
        self.codes = list(codes)
        self.bodies: list[dict] = []
        self.calls: list[tuple[str, bytes]] = []  # signature, body
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers["X-Signature"]
                signing.verify(header, method="POST", path=self.path, body=body)
                outer.bodies.append(json.loads(body))
                outer.calls.append((header, body))
                self.send_response(outer.codes.pop(0) if outer.codes else 200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def fake_n8n(settings):
    server = FakeN8n([503, 503, 200])
    settings.N8N_BASE_URL = server.url
    yield server
    server.server.shutdown()


def test_the_dispatch_reaches_n8n_once_after_two_503s(
    campaign_a, fake_n8n, django_capture_on_commit_callbacks
):
    Lead.objects.create(organization=campaign_a.organization, name="A", email="a@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        launched = blasts.campaign_launch(campaign=campaign_a)
    assert len(fake_n8n.bodies) == 3
    assert len({header for header, _ in fake_n8n.calls}) == 1  # one call, so one request id
    payload = fake_n8n.bodies[-1]
    assert payload["campaign_id"] == str(campaign_a.pk)
    assert payload["dispatch_id"] == str(launched.pk)
    assert set(payload) >= {
        "campaign_id",
        "organization_id",
        "campaign_type",
        "email_account_id",
        "sender",
        "audience",
        "template",
        "campaign_step_id",
        "settings",
        "api",
    }
    assert payload["api"]["claim_url"].endswith(f"/api/campaigns/dispatches/{launched.pk}/claim/")
    launched.refresh_from_db()
    assert launched.notified_at and launched.driver == Dispatch.Driver.N8N
    assert n8n.notify(launched.pk) and len(fake_n8n.bodies) == 3  # already told: not again


def test_the_call_django_sends_to_n8n_is_refused_by_the_api(
    campaign_a, gmail_account, google, fake_n8n, django_capture_on_commit_callbacks
):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    Lead.objects.create(organization=campaign_a.organization, name="A", email="a@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        launched = blasts.campaign_launch(campaign=campaign_a)
    header, body = fake_n8n.calls[-1]
    for url in (token_url(launched), claim_url(launched)):
        assert call(url, raw=body, header=header).status_code == 401
    assert google.refreshes == 0
    assert MessageLog.objects.get().status == Status.QUEUED


def test_a_rolled_back_launch_posts_nothing(
    campaign_a, fake_n8n, django_capture_on_commit_callbacks
):
    Lead.objects.create(organization=campaign_a.organization, name="A", email="a@example.com")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        blasts.campaign_launch(campaign=campaign_a)
        raise RuntimeError("something failed after the launch")
    assert fake_n8n.bodies == [] and not Dispatch.objects.exists()


def test_a_claim_while_the_account_rests_takes_nothing_and_says_when_to_come_back(campaign_a):
    launched = n8n_dispatch(campaign_a)
    launched.email_account.rest(datetime.timedelta(minutes=10), "Gmail limit reached")
    answer = call(claim_url(launched), {"limit": 3}).json()
    assert answer["messages"] == [] and answer["waiting"] == claims.RESTING
    assert 590 < answer["retry_after"] <= 600
    assert set(MessageLog.objects.values_list("status", flat=True)) == {Status.QUEUED}


def test_each_claimed_message_comes_with_its_slot_under_the_quota(campaign_a, settings):
    settings.GMAIL_QUOTA_UNITS_PER_MINUTE = 15_000  # Gmail's: 150 sends a minute
    launched = n8n_dispatch(campaign_a, 5)
    started = time.monotonic()
    first = call(claim_url(launched), {"limit": 3}).json()
    assert [m["send_after_seconds"] for m in first["messages"]] == [0, 0.4, 0.8]
    second = call(claim_url(launched), {"limit": 3}).json()
    between = time.monotonic() - started  # the next slot is 1.2 s after the first claim
    assert second["messages"] == [] and 1.2 - between <= second["retry_after"] <= 1.2
    assert second["waiting"] == claims.PACED
