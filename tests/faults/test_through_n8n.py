"""The issue's N rows: a blast sent by n8n in queue mode (tests/faults/n8n_set.py: Redis with
append-only persistence, a main process and two workers under a supervisor) through
gunicorn, while a fault strikes mid-blast: PostgreSQL crashed and restarted (twice), Gmail
answering 500 for 30 s, Gmail hanging 60 s after it accepted, Google's token endpoint
answering 500 for 60 s with every access token expired, a gunicorn worker killed in the
middle of a report, the blast launched while n8n's main process is down, Redis killed and
restarted empty. Nobody restarts anything by hand; each test then asserts the shared checks
(tests/faults/checks.py), that the run settled within two minutes of the fault's end, and
that the dispatch ended (the run reported it done)."""

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from campaigns.models import Campaign, Dispatch, MessageLog
from tests.faults import checks, n8n_set
from tests.faults.conftest import ROOT, RUN, WEBHOOK_SECRET
from tests.faults.world import World, sent_count
from tests.scale.engines import N8N_WORKER_READY
from tests.scale.processes import Fleet

LEADS = 80
REFUSED = [7]  # Gmail refuses this lead's address: its message fails for good
MID_BLAST = 15  # the fault strikes once this many are sent
# Each test's limit, with the n8n set's start (half a minute or more) in the first.
LIMIT = 420


@pytest.fixture(scope="module")
def n8n(cluster, scratch: Path) -> Iterator[n8n_set.N8nSet]:
    cluster.execute(f'CREATE DATABASE "{n8n_set.DATABASE}"')
    logs = ROOT / "var" / "faults" / RUN / "n8n"
    logs.mkdir(parents=True, exist_ok=True)
    with Fleet(logs) as fleet:
        started = n8n_set.start(cluster.port, scratch, fleet, WEBHOOK_SECRET)
        try:
            yield started
        finally:
            started.gmail.stop()


@pytest.fixture
def through_n8n(world: World, n8n: n8n_set.N8nSet) -> Iterator[World]:
    """The world, in n8n mode: gunicorn on the n8n set's web address, this process's
    settings (it launches, and so calls n8n first) the same, the switchboard on this test's
    Gmail stand-in."""
    from django.conf import settings

    n8n.gmail.upstream = world.standin.base_url
    mode = {"N8N_BASE_URL": n8n.url, "PUBLIC_BASE_URL": n8n.web_url}
    world.gunicorn(2, **mode, **n8n_set.TUNING)
    saved = {name: getattr(settings, name) for name in mode}
    for name, value in mode.items():
        setattr(settings, name, value)
    try:
        yield world
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)


def blast(world: World):
    cast = world.agency(leads=LEADS, accounts={"a": 1000}, refused=REFUSED)
    return cast, world.blast(cast, "news", "a")


def mid_blast(world: World) -> None:
    world.wait_for("the blast under way", lambda: sent_count() >= MID_BLAST, 120)


def finished(world: World, cast, fault_end: float, in_doubt: int = 0) -> None:
    """Settled within two minutes of the fault's end, the dispatch ended, every check held."""
    world.settle(cast, after=fault_end)
    world.wait_for(
        "the dispatch completed",
        lambda: not Dispatch.objects.exclude(status=Dispatch.Status.COMPLETED).exists(),
        fault_end + 120 - time.monotonic() + 5,
    )
    checks.assert_held(checks.verdicts(cast, world.standin, in_doubt=in_doubt))
    assert Campaign.objects.get().status == Campaign.Status.COMPLETED


@pytest.mark.timeout(LIMIT)
def test_a_blast_launched_while_n8ns_main_process_is_down_is_sent_once_it_is_back(through_n8n, n8n):
    world = through_n8n
    cast, campaign = blast(world)
    n8n.fleet.stop("n8n-main")
    dispatch = world.launch(campaign)  # the one call at launch finds nobody
    dispatch.refresh_from_db()
    assert dispatch.driver == Dispatch.Driver.N8N and dispatch.notify_error
    time.sleep(10)
    n8n.restart_main()
    finished(world, cast, time.monotonic())
    assert Dispatch.objects.get().runs_started >= 2  # the watchdog asked again


@pytest.mark.timeout(LIMIT)
def test_gmail_answering_500_for_30_seconds_through_n8n_fails_nothing(through_n8n):
    world = through_n8n
    cast, campaign = blast(world)
    world.launch(campaign)
    mid_blast(world)
    world.standin.fail("error_500", 30)
    finished(world, cast, time.monotonic() + 30)
    assert not MessageLog.objects.filter(status=MessageLog.Status.FAILED).exclude(
        to_email__in=cast.refused
    )


@pytest.mark.timeout(LIMIT)
def test_gmail_hanging_60_seconds_after_accepting_leaves_those_unknown_and_the_run_goes_on(
    through_n8n,
):
    world = through_n8n
    cast, campaign = blast(world)
    world.launch(campaign)
    mid_blast(world)
    world.standin.fail("hang_after_accept", 60)
    # n8n waits 30 s for Gmail's answer, then the account rests: two sends at most hang.
    finished(world, cast, time.monotonic() + 60, in_doubt=2)
    unknown = MessageLog.objects.filter(status=MessageLog.Status.UNKNOWN)
    assert 1 <= unknown.count() <= 2


@pytest.mark.timeout(LIMIT)
def test_the_token_endpoint_failing_60_seconds_with_tokens_expired_through_n8n(through_n8n):
    world = through_n8n
    cast, campaign = blast(world)
    world.launch(campaign)
    mid_blast(world)
    world.standin.fail("token_500", 60)
    world.standin.fail("expire_tokens")
    finished(world, cast, time.monotonic() + 60)


@pytest.mark.timeout(LIMIT)
def test_a_web_worker_killed_in_the_middle_of_a_report_leaves_nothing_stuck(through_n8n, cluster):
    world = through_n8n
    cast, campaign = blast(world)
    world.launch(campaign)
    mid_blast(world)
    killed = kill_a_worker_mid_report(world, cluster, campaign)
    assert killed
    finished(world, cast, time.monotonic())


@pytest.mark.timeout(LIMIT)
def test_postgresql_crashed_and_restarted_twice_mid_blast_through_n8n(through_n8n, cluster):
    world = through_n8n
    cast, campaign = blast(world)
    world.launch(campaign)
    mid_blast(world)
    cluster.crash_restart()
    world.reconnect()
    world.wait_for("more sent after the first restart", lambda: sent_count() >= 35, 120)
    cluster.crash_restart()
    world.reconnect()
    finished(world, cast, time.monotonic())


@pytest.mark.timeout(LIMIT)
def test_redis_killed_and_restarted_empty_the_workers_come_back_and_the_blast_ends(
    through_n8n, n8n
):
    world = through_n8n
    cast, campaign = blast(world)
    world.launch(campaign)
    mid_blast(world)
    ready_before = sum(log_count(n8n.fleet, name, N8N_WORKER_READY) for name in workers(n8n))
    n8n.fleet.kill("redis")
    # n8n's processes try Redis again for 10 s, then exit: the run in a worker dies with it.
    world.wait_for(
        "the workers exited",
        lambda: all(
            "exited" in n8n.fleet.log_text(name).rpartition("Lost Redis")[2]
            for name in workers(n8n)
        ),
        60,
    )
    # A run keeps going while Redis is away until its worker exits: with few messages left
    # it may end the blast first, and then there is no lost run to replace.
    lost_a_run = MessageLog.objects.filter(
        status__in=[MessageLog.Status.QUEUED, MessageLog.Status.SENDING]
    ).exists()
    n8n.restart_redis_empty()
    back = time.monotonic()
    world.wait_for(
        "the workers ready again",
        lambda: (
            sum(log_count(n8n.fleet, name, N8N_WORKER_READY) for name in workers(n8n))
            >= ready_before + n8n_set.WORKERS
        ),
        120,
    )
    # The run lost with Redis held one message at most: in doubt, never resent.
    finished(world, cast, back, in_doubt=1)
    assert all(n8n.fleet.restarts(name) >= 1 for name in workers(n8n))
    if lost_a_run:
        assert Dispatch.objects.get().runs_started >= 2  # the lost run was replaced


def workers(n8n: n8n_set.N8nSet) -> list[str]:
    return [f"n8n-worker-{number}" for number in range(1, n8n_set.WORKERS + 1)]


def log_count(fleet: Fleet, name: str, text: str) -> int:
    return fleet.log_text(name).count(text)


# A gunicorn worker killed in the middle of a report ---------------------------------------


def kill_a_worker_mid_report(world: World, cluster, campaign: Campaign) -> int:
    """SIGKILL the gunicorn worker whose log-message call is inside its transaction, after
    it recorded the report and before it commits (and answers): a row lock of the campaign's,
    which a report takes to start the count of failures in a row over, holds it there.
    Returns the killed pid."""
    url = cluster.url(world.database)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with psycopg.connect(url, autocommit=True) as setter:
            setter.execute(
                "UPDATE campaigns_campaign SET failure_streak = 1 WHERE id = %s", [campaign.pk]
            )
        with psycopg.connect(url) as locker:
            [streak] = locker.execute(
                "SELECT failure_streak FROM campaigns_campaign WHERE id = %s FOR UPDATE",
                [campaign.pk],
            ).fetchone()
            if not streak:
                continue  # a report started the count over meanwhile: again
            waited = time.monotonic() + 5
            while time.monotonic() < waited:
                port = _blocked_report_port(url)
                pid = _gunicorn_worker_with_port(world.fleet, port) if port else None
                if pid:
                    os.kill(pid, signal.SIGKILL)
                    locker.rollback()
                    return pid
                time.sleep(0.05)
    raise AssertionError("no report waited on the campaign's row within 90 s")


def _blocked_report_port(url: str) -> int | None:
    """The client port of a database session waiting for the campaign's row lock in an
    UPDATE of the campaign (a report starting the failure count over)."""
    with psycopg.connect(url, autocommit=True) as reader:
        row = reader.execute(
            "SELECT client_port FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'UPDATE \"campaigns_campaign\"%%' LIMIT 1"
        ).fetchone()
    return row[0] if row else None


def _gunicorn_worker_with_port(fleet: Fleet, port: int) -> int | None:
    """The gunicorn worker holding the local TCP port (its database connection)."""
    master = fleet.running["gunicorn"].process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    inode = _socket_inode(port)
    for pid in map(int, children):
        try:
            links = [path.readlink().name for path in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        if f"socket:[{inode}]" in links:
            return pid
    return None


def _socket_inode(port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                return fields[9]
    return None
