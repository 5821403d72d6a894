"""The periodic jobs run by one function, which both drivers call: n8n's tick (the signed
tick API) alone starts a scheduled launch and expires a stale claim, as the direct sender
does; a job that fails does not stop the others; two callers at once do each thing once."""

import datetime
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, Dispatch, MessageLog
from campaigns.n8n import signing
from campaigns.outbox import claims
from campaigns.periodic import jobs
from campaigns.sequences import schedule
from crm.models import Lead, Organization
from tests.campaigns.conftest import TICK_URL, claim_url, n8n_dispatch
from tests.campaigns.conftest import signed_call as call
from tests.conftest import launch_to_leads, make_sequence

Status = MessageLog.Status
pytestmark = pytest.mark.usefixtures("n8n_secret")


class N8nWebhook:
    """A loopback server standing in for n8n's campaign-dispatch webhook: records what
    Django posts to it (signed), and answers 200."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                header = self.headers["X-Signature"]
                signing.verify(header, method="POST", path=self.path, body=body)
                outer.bodies.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def n8n_webhook(settings):
    """n8n is the driver: what is launched is posted to this stand-in."""
    webhook = N8nWebhook()
    settings.N8N_BASE_URL = webhook.url
    yield webhook
    webhook.server.shutdown()
    webhook.server.server_close()


def scheduled_launch(campaign: Campaign, leads: int, hours: float = 1) -> Dispatch:
    Lead.objects.bulk_create(
        Lead(organization=campaign.organization, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(leads)
    )
    at = timezone.now() + datetime.timedelta(hours=hours)
    return blasts.campaign_launch(campaign=campaign, send_after=at)


def test_a_scheduled_launch_starts_under_n8ns_tick_alone(
    campaign_a, n8n_webhook, django_capture_on_commit_callbacks
):
    launched = scheduled_launch(campaign_a, 3)
    assert (launched.status, launched.driver) == (Dispatch.Status.SCHEDULED, Dispatch.Driver.N8N)
    assert call(TICK_URL, {}).json()["scheduled_started"] == 0  # not yet: an hour to go
    with (
        time_machine.travel(timezone.now() + datetime.timedelta(hours=1, minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        answer = call(TICK_URL, {})
    assert answer.status_code == 200
    assert answer.json()["scheduled_started"] == 1 and answer.json()["failed"] == []
    launched.refresh_from_db()
    assert launched.status == Dispatch.Status.RUNNING
    assert [body["dispatch_id"] for body in n8n_webhook.bodies] == [str(launched.pk)]
    assert len(call(claim_url(launched), {"limit": 10}).json()["messages"]) == 3


def test_a_claim_left_mid_send_expires_under_n8ns_tick_alone(campaign_a):
    launched = n8n_dispatch(campaign_a, 2)
    claimed = call(claim_url(launched), {"limit": 10}).json()["messages"]
    assert len(claimed) == 2  # n8n died with them: no report will come
    assert call(TICK_URL, {}).json()["claims_expired"] == 0  # maybe still being sent
    with time_machine.travel(timezone.now() + claims.stale_claim() + datetime.timedelta(minutes=1)):
        answer = call(TICK_URL, {}).json()
    assert answer["claims_expired"] == 2
    assert set(MessageLog.objects.values_list("status", "error_message")) == {
        (Status.UNKNOWN, claims.CLAIM_EXPIRED)
    }


def test_the_tick_answers_each_jobs_count_and_the_sequence_figures(campaign_a):
    answer = call(TICK_URL, {}).json()
    counts = {job.name for job in jobs.JOBS} - {"sequence_tick"}
    assert set(answer) == counts | {
        "enrolled",
        "stopped",
        "queued",
        "completed",
        "dispatch_ids",
        "failed",
    }
    assert answer["stats_refreshed"] == 1  # the first run sums the dashboard's days...
    assert call(TICK_URL, {}).json()["stats_refreshed"] == 0  # ... then every 5 minutes


def explode(now: datetime.datetime) -> int:
    raise RuntimeError("the job broke")


def duplicate_row(now: datetime.datetime) -> int:
    """Fails in the database: a second organization with the id of one that exists."""
    Organization.objects.create(pk=Organization.objects.first().pk, name="Twin")
    return 1


def left_mid_send(campaign: Campaign, leads: int) -> None:
    """The campaign launched, its messages claimed by a sender that died long ago."""
    launch_to_leads(campaign, leads)
    MessageLog.objects.filter(campaign=campaign).update(
        status=Status.SENDING, claimed_at=timezone.now() - claims.stale_claim() * 2
    )


@pytest.mark.parametrize("broken", [explode, duplicate_row], ids=["raises", "database error"])
def test_a_job_that_fails_is_logged_and_the_others_still_run(
    campaign_a, campaign_b, caplog, broken
):
    """A failure in the database too: within the caller's transaction, the failed job's
    savepoint is rolled back, so the jobs after it can still query."""
    left_mid_send(campaign_b, 2)
    launched = scheduled_launch(campaign_a, 2, hours=-0.01)
    first, *rest = jobs.JOBS
    with caplog.at_level(logging.ERROR, logger="campaigns.periodic.jobs"):
        result = jobs.run_periodic_jobs(jobs=[first, jobs.Job("broken", broken), *rest])
    assert result.failed == ["broken"]
    logged = [record for record in caplog.records if record.name == "campaigns.periodic.jobs"]
    assert [record.getMessage() for record in logged] == [jobs.JOB_FAILED % "broken"]
    assert logged[0].exc_info  # with its traceback
    assert set(result.done) == {job.name for job in jobs.JOBS}
    assert result.count("scheduled_started") == 1 and result.count("claims_expired") == 2
    launched.refresh_from_db()
    assert launched.status == Dispatch.Status.RUNNING


@pytest.mark.django_db(transaction=True)
def test_two_callers_at_once_start_a_launch_once_and_expire_a_claim_once(
    campaign_a, campaign_b, n8n_webhook
):
    left_mid_send(campaign_b, 3)
    launched = scheduled_launch(campaign_a, 2, hours=-0.01)
    results: list[jobs.PeriodicResult] = []
    barrier = threading.Barrier(2)

    def caller() -> None:
        barrier.wait()
        results.append(jobs.run_periodic_jobs())
        connection.close()

    threads = [threading.Thread(target=caller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [result.failed for result in results] == [[], []]
    assert sorted(result.count("scheduled_started") for result in results) == [0, 1]
    assert sum(result.count("claims_expired") for result in results) == 3
    told = [body["dispatch_id"] for body in n8n_webhook.bodies]
    assert told.count(str(launched.pk)) == 1  # n8n is told once


def test_the_direct_sender_runs_the_same_jobs(campaign_a, campaign_b, sandbox_account):
    """`send_queued` run once (from cron) starts the launch whose time has come and sends
    it, expires a dead sender's claims, and runs the sequence tick."""
    left_mid_send(campaign_b, 1)
    launched = scheduled_launch(campaign_a, 2, hours=-0.01)
    sequence = make_sequence(campaign_a.organization, sandbox_account)
    Campaign.objects.filter(pk=sequence.pk).update(
        send_on_weekends=True, window_start="00:00", window_end="23:59"
    )
    sequence.refresh_from_db()
    schedule.sequence_activate(campaign=sequence)
    errors = StringIO()
    call_command("send_queued", stdout=StringIO(), stderr=errors)
    launched.refresh_from_db()
    assert launched.status == Dispatch.Status.COMPLETED
    assert "1 message left mid-send by a stopped sender" in errors.getvalue()
    sent = MessageLog.objects.filter(status=Status.SENT)
    assert sent.filter(dispatch=launched).count() == 2
    assert sent.filter(campaign=sequence).count() == 2  # the welcome step, to both leads
