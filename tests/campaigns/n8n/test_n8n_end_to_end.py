"""End to end with a real n8n: a blast of 200+ leads launched from the admin, sent by the
shipped workflow through a local Gmail stand-in, every result logged back to Django; every
call signed over its method and path, a lost answer retried with its request id."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.urls import reverse

from campaigns.launching import blasts as dispatching
from campaigns.models import Campaign, Dispatch, MessageLog, StepSnapshot
from campaigns.n8n import signing
from crm.models import Lead
from tests import google_standin
from tests.conftest import use_google_standin
from tests.google_standin import google_error

LEADS = 210
BAD = {"lead7@example.com", "lead150@example.com"}
SECRET = "e2e-shared-secret"

# One worker runs them all, on one n8n: `make test` gives pytest-xdist a file per worker.
pytestmark = [pytest.mark.n8n, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def n8n_folder(pytestconfig):
    """The pinned n8n, installed on first use: minutes and about 2 GB, so its progress goes
    to the terminal, past pytest's capture."""
    from tests.n8n.runner import install

    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        return install()


@pytest.fixture(scope="module")
def gmail_server():
    """The Gmail stand-in's address, given to n8n once; each test gets a new stand-in behind
    it (the `google` fixture below)."""
    _, server = google_standin.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def google(gmail_server, settings, monkeypatch):
    state = google_standin.renew(gmail_server)
    use_google_standin(state, settings, monkeypatch)
    yield state
    assert state.problems == [], state.problems


@pytest.fixture(scope="module")
def n8n_server(n8n_folder, gmail_server, live_server):
    """One n8n for the whole module (starting one takes 15 to 70 s here): the workflows
    only ever reach Django, the Gmail stand-in and the live server through what each call
    carries or these fixed addresses, so the tests can share it."""
    from tests.n8n.runner import N8n

    gmail = f"http://127.0.0.1:{gmail_server.server_address[1]}"
    server = N8n(
        n8n_folder,
        {
            "CAMPAIGNS_WEBHOOK_SECRET": SECRET,
            "GMAIL_API_BASE_URL": gmail,
            "CAMPAIGNS_TICK_URL": f"{live_server.url}/api/campaigns/tick/",
            "CAMPAIGNS_CHECK_REPLIES_URL": f"{live_server.url}/api/campaigns/check-replies/",
        },
    )
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def n8n(n8n_server, live_server, google, settings):
    """The module's n8n (started again if a test killed it), and Django set to use it."""
    settings.N8N_WEBHOOK_SECRET = [SECRET]
    settings.PUBLIC_BASE_URL = live_server.url
    settings.N8N_BASE_URL = n8n_server.running().url
    return n8n_server


def test_a_blast_sent_through_n8n_reaches_every_lead_once(
    n8n, google, live_server, campaign_a, gmail_account, staff_a
):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"Lead {n}", email=f"lead{n}@example.com")
        for n in range(LEADS)
    )
    # Gmail refuses two recipients, and throttles once (retried by the workflow).
    google.send_failures.append(google_error(429, "rateLimitExceeded"))
    google.reject_recipients = BAD

    session = requests.Session()
    staff_a.set_password("pw-e2e")
    staff_a.save()
    login = f"{live_server.url}/admin/login/?next=/admin/"
    session.get(login)
    session.post(
        login,
        {
            "username": "alice",
            "password": "pw-e2e",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login},
    )
    launch = f"{live_server.url}{reverse('admin:campaigns_campaign_launch', args=[campaign_a.pk])}"
    session.get(launch)
    started = time.monotonic()
    response = session.post(
        launch, {"csrfmiddlewaretoken": session.cookies["csrftoken"]}, headers={"Referer": launch}
    )
    assert response.status_code == 200 and "messages queued" in response.text

    dispatch = Dispatch.objects.get()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        dispatch.refresh_from_db()
        if dispatch.status == Dispatch.Status.COMPLETED:
            break
        time.sleep(1)
    elapsed = time.monotonic() - started
    assert dispatch.notified_at is not None, dispatch.notify_error
    assert dispatch.status == Dispatch.Status.COMPLETED, n8n.log.read_text()[-3000:]
    logs = MessageLog.objects.filter(dispatch=dispatch)
    assert logs.count() == LEADS
    assert logs.filter(status=MessageLog.Status.SENT).count() == LEADS - len(BAD)
    failed = logs.filter(status=MessageLog.Status.FAILED)
    assert set(failed.values_list("to_email", flat=True)) == BAD
    assert all("HTTP 400" in log.error_message for log in failed)
    recipients = [message["To"].addresses[0].addr_spec for message in google.sent]
    assert len(recipients) == len(set(recipients)) == LEADS - len(BAD)
    assert dispatch.reported_status == "completed"
    assert dispatch.reported_stats == {
        "total_leads": LEADS,
        "sent": LEADS - len(BAD),
        "failed": len(BAD),
        "delivery_rate": round(100 * (LEADS - 2) / LEADS, 2),
    }
    print(f"\nn8n driver: {LEADS} messages in {elapsed:.1f} s ({LEADS / elapsed:.1f} msg/s)")


def test_the_scheduled_tick_workflow_sends_due_sequence_steps_through_n8n(
    n8n, google, campaign_a, gmail_account
):
    from campaigns.models import CampaignStep
    from campaigns.sequences import schedule as sequences
    from tests.n8n.runner import TICK_WORKFLOW_ID

    Campaign.objects.filter(pk=campaign_a.pk).update(
        email_account=gmail_account,
        type=Campaign.Type.SEQUENCE,
        send_on_weekends=True,
        window_start="00:00",
        window_end="23:59",
    )
    campaign_a.refresh_from_db()
    CampaignStep.objects.filter(campaign=campaign_a).update(subject="Welcome {{ lead.name }}")
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"Seq {n}", email=f"seq{n}@example.com")
        for n in range(12)
    )
    sequences.sequence_activate(campaign=campaign_a)

    n8n.execute(TICK_WORKFLOW_ID)  # what the schedule trigger runs every minute
    deadline = time.monotonic() + 120
    while (
        time.monotonic() < deadline
        and MessageLog.objects.filter(status=MessageLog.Status.SENT).count() < 12
    ):
        time.sleep(0.5)
    assert MessageLog.objects.filter(status=MessageLog.Status.SENT).count() == 12
    assert sorted(m["Subject"] for m in google.sent)[0].startswith("Welcome Seq")
    dispatch = Dispatch.objects.get()
    assert dispatch.driver == Dispatch.Driver.N8N and dispatch.campaign_step is None


def test_the_scheduled_reply_check_workflow_marks_a_reply_and_a_bounce(
    n8n, google, campaign_a, gmail_account
):
    from io import StringIO

    from django.core.management import call_command

    from campaigns.outbox import sending
    from tests.google_standin import METADATA_SCOPE
    from tests.n8n.runner import REPLIES_WORKFLOW_ID

    scopes = f"{google.granted_scopes} {METADATA_SCOPE}"
    gmail_account.detect_replies, gmail_account.granted_scopes = True, scopes
    gmail_account.access_token = google.issue_access_token(scopes)
    gmail_account.refresh_token = google.issue_refresh_token(scopes)
    gmail_account.save()
    Campaign.objects.filter(pk=campaign_a.pk).update(
        email_account=gmail_account, status=Campaign.Status.ACTIVE
    )
    for name in ("ana", "carl"):  # sent by the direct driver: this test is about the check
        lead = Lead.objects.create(
            organization=campaign_a.organization, name=name, email=f"{name}@example.com"
        )
        step = campaign_a.steps.get()
        sending.queued_message(
            snapshot=StepSnapshot.of(step), lead=lead, account=gmail_account
        ).save()
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())
    ana = MessageLog.objects.get(to_email="ana@example.com", status=MessageLog.Status.SENT)
    carl = MessageLog.objects.get(to_email="carl@example.com", status=MessageLog.Status.SENT)
    google.add_message(ana.thread_id, sender="Ana <ana@example.com>")
    google.add_message(
        carl.thread_id,
        sender="mailer-daemon@googlemail.com",
        subject="Delivery Status Notification (Failure)",
        headers={"X-Failed-Recipients": "carl@example.com"},
        snippet="Address not found",
    )

    n8n.execute(REPLIES_WORKFLOW_ID)  # what the schedule trigger runs every 15 minutes
    ana.refresh_from_db()
    carl.refresh_from_db()
    assert ana.status == MessageLog.Status.REPLIED
    assert carl.status == MessageLog.Status.BOUNCED and "Address not found" in carl.error_message


class LossyProxy:
    """A loopback proxy in front of Django that loses Django's answer to the first claim:
    the claim reaches Django, which hands out a batch, and n8n gets a 502 instead, as after
    a timeout. Everything else passes through unchanged (same path, same bytes)."""

    def __init__(self, upstream):
        self.calls: list[tuple[str, str, int, bytes]] = []  # path, signature, status, body
        self.lost = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers["X-Signature"]
                answer = requests.post(
                    upstream + self.path,
                    data=body,
                    timeout=60,
                    headers=json_with(signature),
                )
                outer.calls.append((self.path, signature, answer.status_code, answer.content))
                status, content = answer.status_code, answer.content
                if self.path.endswith("/claim/") and not outer.lost:
                    outer.lost = True
                    status, content = 502, b'{"error": "the upstream answer was lost"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


def json_with(signature):
    return {"Content-Type": "application/json", signing.HEADER: signature}


def wait_for(condition, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.5)
    return condition()


def queued_for_n8n(campaign, count, settings):
    """Launch the campaign to `count` new leads without telling n8n yet."""
    Lead.objects.bulk_create(
        Lead(organization=campaign.organization, name=f"P{n}", email=f"p{n}@example.com")
        for n in range(count)
    )
    n8n_url, settings.N8N_BASE_URL = settings.N8N_BASE_URL, ""
    launched = dispatching.campaign_launch(campaign=campaign)
    settings.N8N_BASE_URL = n8n_url
    Dispatch.objects.filter(pk=launched.pk).update(driver=Dispatch.Driver.N8N)
    return launched


def test_a_claim_whose_answer_was_lost_is_retried_with_its_id_and_sends_each_lead_once(
    n8n, google, live_server, campaign_a, gmail_account, settings
):
    from campaigns import n8n as n8n_driver

    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    proxy = LossyProxy(live_server.url)
    settings.PUBLIC_BASE_URL = proxy.url
    launched = queued_for_n8n(campaign_a, 30, settings)
    assert n8n_driver.notify(launched.pk)
    assert wait_for(lambda: Dispatch.objects.get().status == Dispatch.Status.COMPLETED), (
        n8n.log.read_text()[-3000:]
    )
    claims = [call for call in proxy.calls if call[0].endswith("/claim/")]
    (_, lost, _, batch), (_, retry, _, replayed) = claims[:2]
    assert retry == lost and replayed == batch  # one request id: Django answered from memory
    assert len(json.loads(batch)["messages"]) == 1  # the workflow claims one at a time
    recipients = [message["To"].addresses[0].addr_spec for message in google.sent]
    assert len(recipients) == len(set(recipients)) == 30
    assert MessageLog.objects.filter(status=MessageLog.Status.SENT).count() == 30


def test_the_workflow_refuses_a_dispatch_call_signed_for_another_path(
    n8n, google, campaign_a, gmail_account, settings
):
    from campaigns.n8n import dispatch_payload

    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    launched = queued_for_n8n(campaign_a, 5, settings)
    body = json.dumps(dispatch_payload(launched)).encode()
    webhook = f"{n8n.url}{settings.N8N_DISPATCH_PATH}"
    for path in ("/api/campaigns/tick/", "/webhook-test/campaign-dispatch"):
        header = signing.sign(body, path=path)  # valid, but for another path
        requests.post(webhook, data=body, headers=json_with(header), timeout=10)
    time.sleep(5)
    assert google.sent == [] and Dispatch.objects.get().reported_status == ""
    assert set(MessageLog.objects.values_list("status", flat=True)) == {MessageLog.Status.QUEUED}
    header = signing.sign(body, path=settings.N8N_DISPATCH_PATH)
    requests.post(webhook, data=body, headers=json_with(header), timeout=10)
    assert wait_for(lambda: len(google.sent) == 5), n8n.log.read_text()[-3000:]


def test_the_workflow_stops_when_django_answers_the_campaign_is_paused(
    n8n, google, campaign_a, gmail_account, settings
):
    from campaigns import n8n as n8n_driver

    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    launched = queued_for_n8n(campaign_a, 5, settings)
    campaign_a.pause()
    assert n8n_driver.notify(launched.pk)
    assert wait_for(lambda: Dispatch.objects.get().reported_stats), n8n.log.read_text()[-3000:]
    reported = Dispatch.objects.get()
    assert reported.reported_status == "processing" and reported.reported_stats["sent"] == 0
    assert google.sent == []
    assert set(MessageLog.objects.values_list("status", flat=True)) == {MessageLog.Status.QUEUED}


def test_a_campaign_resumed_after_its_run_stopped_is_sent_by_the_run_the_tick_asks_for(
    n8n, google, campaign_a, gmail_account, settings
):
    """The run stops on the pause; once the campaign is resumed, the tick workflow runs the
    periodic jobs, whose watchdog asks n8n for a new run: the blast is sent, each lead once."""
    from campaigns import n8n as n8n_driver
    from tests.n8n.runner import TICK_WORKFLOW_ID

    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    launched = queued_for_n8n(campaign_a, 5, settings)
    campaign_a.pause()
    assert n8n_driver.notify(launched.pk)
    assert wait_for(lambda: Dispatch.objects.get().reported_status == "processing")
    assert wait_for(lambda: Dispatch.objects.get().run_due_by is None)  # no run is expected
    campaign_a.refresh_from_db()
    campaign_a.resume()
    n8n.execute(TICK_WORKFLOW_ID)  # what the schedule trigger runs every minute
    assert wait_for(lambda: Dispatch.objects.get().status == Dispatch.Status.COMPLETED), (
        n8n.log.read_text()[-3000:]
    )
    recipients = [message["To"].addresses[0].addr_spec for message in google.sent]
    assert sorted(recipients) == sorted(f"p{n}@example.com" for n in range(5))
    assert Dispatch.objects.get().runs_started == 2


def test_a_blast_from_each_leads_agent_leaves_n8n_from_each_agents_mailbox(
    n8n, google, campaign_a, staff_a, maria, settings
):
    from tests.conftest import connect_gmail

    organization = campaign_a.organization
    primary = connect_gmail(google, staff_a, organization, "alice@gmail.example")
    connect_gmail(google, maria, organization, "maria@gmail.example")
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=primary, send_from_agents=True)
    campaign_a.refresh_from_db()
    Lead.objects.bulk_create(
        Lead(organization=organization, name=f"A{n}", email=f"a{n}@example.com", owner=maria)
        for n in range(6)
    )
    launched = queued_for_n8n(campaign_a, 4, settings)  # four more, without an agent
    from campaigns import n8n as n8n_driver

    assert n8n_driver.notify(launched.pk)
    assert wait_for(lambda: Dispatch.objects.get().reported_status == "completed"), (
        n8n.log.read_text()[-3000:]
    )
    through = {
        message["To"].addresses[0].addr_spec: mailbox
        for message, mailbox in zip(google.sent, google.sent_from, strict=True)
    }
    assert len(through) == 10
    assert {through[f"a{n}@example.com"] for n in range(6)} == {"maria@gmail.example"}
    assert {through[f"p{n}@example.com"] for n in range(4)} == {"alice@gmail.example"}
    assert MessageLog.objects.filter(status=MessageLog.Status.SENT).count() == 10


# Last, so that no test after it waits for n8n to start again (it would: `n8n` restarts it).
def test_n8n_killed_mid_blast_holds_no_more_than_the_message_it_was_sending(
    n8n, google, campaign_a, gmail_account, settings
):
    """A claimed message is never sent again, since Gmail may have it: so n8n, killed while
    it sends, must have claimed no more than the one it was sending (a killed worker's
    batch was lost: never sent, never resent, counted against the daily cap)."""
    from campaigns.launching import blasts as dispatch

    settings.GMAIL_QUOTA_UNITS_PER_MINUTE = 30_000  # a send every 0.2 s
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"Lead {n}", email=f"k{n}@example.com")
        for n in range(40)
    )
    dispatch.campaign_launch(campaign=campaign_a)
    deadline = time.monotonic() + 60
    while len(google.sent) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    n8n.process.kill()  # SIGKILL, mid-blast
    n8n.process.wait()
    time.sleep(1)  # the last report n8n made before it died is recorded

    logs = MessageLog.objects.filter(campaign=campaign_a)
    assert len(google.sent) >= 5
    assert logs.filter(status=MessageLog.Status.SENDING).count() <= 1
    assert len(google.sent) - logs.filter(status=MessageLog.Status.SENT).count() <= 1
    assert logs.filter(status=MessageLog.Status.QUEUED).count() >= 40 - len(google.sent) - 1
