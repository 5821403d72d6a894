"""Runs are replaced: the watchdog asks n8n (a stand-in here) for a new run of a running
dispatch whose call to n8n failed, whose run stopped claiming, or whose campaign was resumed
after its run stopped on the pause; never for a dispatch with a live run or nothing left."""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, Dispatch, MessageLog
from campaigns.n8n import watchdog
from crm.models import Lead
from tests.campaigns.conftest import claim_url
from tests.campaigns.conftest import signed_call as call

# The launch tells n8n once its transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


class N8nStandIn:
    """n8n's webhook on loopback: records each dispatch call; answers 503 while `down`."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.down = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                status = 503 if outer.down else 200
                if not outer.down:
                    outer.calls.append(self.path)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def n8n(settings):
    stand_in = N8nStandIn()
    settings.N8N_BASE_URL = stand_in.url
    settings.N8N_WEBHOOK_SECRET = ["shared-secret"]
    settings.N8N_NOTIFY_ATTEMPTS = 1
    settings.N8N_WATCHDOG_MINUTES = 2
    settings.GMAIL_QUOTA_UNITS_PER_MINUTE = 100_000_000
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


def launched(campaign, count=3, *, minutes_ago=5):
    """The campaign launched to `count` leads, the launch `minutes_ago` in the past."""
    for n in range(count):
        Lead.objects.create(
            organization=campaign.organization, name=f"W{n}", email=f"w{n}@example.com"
        )
    dispatch = blasts.campaign_launch(campaign=campaign)
    Dispatch.objects.filter(pk=dispatch.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    dispatch.refresh_from_db()
    return dispatch


def test_a_blast_launched_while_n8n_is_down_gets_its_run_once_n8n_is_back(n8n, campaign_a):
    n8n.down = True
    dispatch = launched(campaign_a)
    dispatch.refresh_from_db()
    assert dispatch.driver == Dispatch.Driver.N8N and dispatch.notify_error
    assert dispatch.run_due_by is None  # the one call at launch failed: no run expected
    assert watchdog.replace_lost_runs() == 0  # still down: tried again, in vain
    n8n.down = False
    assert watchdog.replace_lost_runs() == 1
    assert n8n.calls == ["/webhook/campaign-dispatch"]
    dispatch.refresh_from_db()
    assert dispatch.notified_at and not dispatch.notify_error and dispatch.runs_started == 3
    assert watchdog.replace_lost_runs() == 0  # the new run is expected now: left alone


def test_a_run_that_stopped_claiming_is_replaced_and_a_claiming_one_is_left_alone(
    n8n, campaign_a, settings
):
    settings.N8N_WEBHOOK_SECRET = ["shared-secret"]
    dispatch = launched(campaign_a)
    assert n8n.calls == ["/webhook/campaign-dispatch"]
    call(claim_url(dispatch), {"limit": 1})  # the run claims: it is alive
    assert watchdog.replace_lost_runs() == 0
    Dispatch.objects.filter(pk=dispatch.pk).update(
        run_due_by=timezone.now() - timedelta(seconds=1)  # ... and then goes silent
    )
    assert watchdog.replace_lost_runs() == 1
    assert len(n8n.calls) == 2 and Dispatch.objects.get().runs_started == 2


def test_a_resumed_campaign_gets_a_new_run_and_a_paused_one_does_not(n8n, campaign_a):
    dispatch = launched(campaign_a)
    campaign_a.pause()
    assert call(claim_url(dispatch), {"limit": 1}).status_code == 409  # the run stops
    assert watchdog.replace_lost_runs() == 0
    campaign_a.resume()
    assert watchdog.replace_lost_runs() == 1
    assert len(n8n.calls) == 2


def test_a_dispatch_with_nothing_left_to_send_gets_no_new_run(n8n, campaign_a):
    dispatch = launched(campaign_a)
    MessageLog.objects.filter(dispatch=dispatch).update(status=MessageLog.Status.UNKNOWN)
    Dispatch.objects.filter(pk=dispatch.pk).update(run_due_by=None)
    assert watchdog.replace_lost_runs() == 0
    assert n8n.calls == ["/webhook/campaign-dispatch"]


def test_a_dispatch_just_launched_is_left_to_its_launch_until_n8n_was_told(
    n8n, campaign_a, settings
):
    settings.N8N_BASE_URL = ""  # launched, and n8n not told yet
    dispatch = launched(campaign_a, minutes_ago=0)
    Dispatch.objects.filter(pk=dispatch.pk).update(driver=Dispatch.Driver.N8N)
    settings.N8N_BASE_URL = n8n.url
    assert watchdog.replace_lost_runs() == 0 and n8n.calls == []


def test_a_launch_whose_call_to_n8n_failed_is_retried_at_the_next_pass(n8n, campaign_a):
    n8n.down = True
    launched(campaign_a, minutes_ago=0)
    n8n.down = False
    assert watchdog.replace_lost_runs() == 1 and len(n8n.calls) == 1


def test_a_direct_dispatch_is_not_the_watchdogs(n8n, campaign_a, settings):
    settings.N8N_BASE_URL = ""
    launched(campaign_a)
    settings.N8N_BASE_URL = n8n.url
    assert watchdog.replace_lost_runs() == 0 and n8n.calls == []


def test_two_watchdogs_at_once_ask_n8n_for_one_run(n8n, campaign_a):
    dispatch = launched(campaign_a)
    Dispatch.objects.filter(pk=dispatch.pk).update(run_due_by=None)
    started, barrier = [], threading.Barrier(2)

    def pass_of_the_watchdog() -> None:
        barrier.wait()
        started.append(watchdog.replace_lost_runs())
        connection.close()

    threads = [threading.Thread(target=pass_of_the_watchdog) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(started) == [0, 1] and len(n8n.calls) == 2  # the launch's, and one more
    assert Campaign.objects.get(pk=campaign_a.pk).status == Campaign.Status.ACTIVE
