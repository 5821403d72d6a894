"""`make test-scale` (issue 14): a scaled-out deployment on one machine — PostgreSQL, Redis,
n8n in queue mode (a main process and two workers), Django under gunicorn (three workers)
and two `send_queued --loop` senders — against a Gmail stand-in that enforces a per-minute
quota and a daily cap. Four blasts are launched at once: one through n8n and one direct on
the same account, one on each of two more accounts, each account's cap below what is
launched on it. Mid-run an n8n worker (the one running the dispatch) and a sender are
killed with SIGKILL; the worker runs under a supervisor, which starts it again, and the
watchdog (run by n8n's tick workflow) asks n8n for a new run of the dispatch. The run then
checks that nothing went out twice, Gmail never answered 429, no account passed its quota
or cap, and every message ended sent, failed, skipped, queued for tomorrow, or in doubt in
a killed process; and prints the figures.

Usage: .venv/bin/python tests/scale/run.py [--logs DIR]. Exit status 0 when every check
holds. Every process's log is kept in the run's folder (printed on failure).
"""

import argparse
import datetime
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bench.gmail_standin import CLIENT_ID, CLIENT_SECRET, QuotaStandIn  # noqa: E402
from tests.n8n.runner import TICK_WORKFLOW_ID, WORKFLOW_ID, free_port, install  # noqa: E402
from tests.scale import engines  # noqa: E402
from tests.scale.processes import Fleet  # noqa: E402

PG_PORT = int(os.environ.get("SCALE_PGPORT", "54360"))
QUOTA_PER_MINUTE = 60  # Gmail's is 150 (15,000 units, 100 a send): smaller, a shorter run
SEND_COST = 100
KILL_WORKER_AFTER = 30  # seconds after the launch
KILL_SENDER_AFTER = 45
SETTLE_LIMIT = 420  # the run fails if it has not settled this long after the launch
WEB_WORKERS, SENDERS, N8N_WORKERS = 3, 2, 2
WEBHOOK_SECRET = "scale-test-webhook-secret"
WORKERS = {f"n8n-worker-{number}" for number in range(1, N8N_WORKERS + 1)}
# The dispatch workflow, and the tick that runs the periodic jobs (the watchdog among them)
# every minute: the killed worker's run is replaced once it has not claimed for
# WATCHDOG_MINUTES (5 in production; shorter here, for a run of minutes).
WORKFLOWS = (("campaign_dispatch.json", WORKFLOW_ID), ("sequence_tick.json", TICK_WORKFLOW_ID))
WATCHDOG_MINUTES = 1


def django_env(database: str, web_port: int, standin: QuotaStandIn, var: Path) -> dict[str, str]:
    """One environment for every Django process (gunicorn, the senders, the commands and
    this driver): the same database, keys and Gmail stand-in. Development mode, since
    production insists on an https:// public address."""
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.base",
        "DJANGO_DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
        "VAR_DIR": str(var),
        "DATABASE_URL": database,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "N8N_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "GOOGLE_TOKEN_URI": f"{standin.base_url}/token",
        "GMAIL_API_BASE_URL": standin.base_url,
        "GMAIL_QUOTA_UNITS_PER_MINUTE": str(QUOTA_PER_MINUTE * SEND_COST),
    }


def setup_django(env: dict[str, str]) -> None:
    """This driver reads and writes the same database through the ORM."""
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def start_everything(fleet: Fleet, n8n_folder: Path, scratch: Path, standin: QuotaStandIn):
    """Every engine, in the order they need each other; returns (cast, env, web URL)."""
    server = engines.start_postgres(fleet, scratch / "pg", PG_PORT, ["campaigns", "n8n"])
    (scratch / "var").mkdir()
    (scratch / "n8n").mkdir()
    env = django_env(f"{server}/campaigns", free_port(), standin, scratch / "var")
    setup_django(env)
    from tests.scale import scenario

    cast = scenario.prepare(standin)
    redis_port = engines.start_redis(fleet, scratch / "redis")
    workflow = {
        "CAMPAIGNS_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "GMAIL_API_BASE_URL": standin.base_url,
        "CAMPAIGNS_TICK_URL": f"{env['PUBLIC_BASE_URL']}/api/campaigns/tick/",
    }
    n8n_env = engines.n8n_queue_env(n8n_folder, scratch / "n8n", PG_PORT, redis_port, workflow)
    n8n_url = engines.start_n8n(fleet, n8n_folder, n8n_env, N8N_WORKERS, WORKFLOWS)
    web_env = {**env, "N8N_BASE_URL": n8n_url, "N8N_WATCHDOG_MINUTES": str(WATCHDOG_MINUTES)}
    web = engines.start_gunicorn(fleet, web_env, WEB_WORKERS)
    engines.start_senders(fleet, env, SENDERS)
    return cast, env, web


def dispatch_worker(fleet: Fleet) -> str | None:
    """The n8n worker running the dispatch (its log says so)."""
    for name in sorted(WORKERS):
        if "Worker started execution" in fleet.log_text(name):
            return name
    return None


def run_until_settled(fleet: Fleet, cast, started: float) -> list:
    """Watch the run, kill a worker and a sender on time; returns the kills once the run
    has settled."""
    from tests.scale import scenario
    from tests.scale.checks import Kill

    kills: list[Kill] = []
    late_opt_out, next_report = False, 0.0
    while True:
        elapsed = time.monotonic() - started
        if not late_opt_out and elapsed > 5:
            late_opt_out = bool(scenario.opt_out_late_leads())
        killed = {kill.name for kill in kills}
        worker = dispatch_worker(fleet)
        if elapsed > KILL_WORKER_AFTER and worker and not killed & WORKERS:
            fleet.crash(worker)  # its supervisor starts it again
            kills.append(Kill(worker, time.monotonic()))
        if elapsed > KILL_WORKER_AFTER + 60 and not worker:
            raise RuntimeError("no n8n worker says it started the dispatch's execution")
        if elapsed > KILL_SENDER_AFTER and "sender-1" not in killed:
            fleet.kill("sender-1")
            kills.append(Kill("sender-1", time.monotonic()))
        killed = {kill.name for kill in kills}
        fleet.check_alive(*(name for name in fleet.running if name not in killed))
        if len(kills) == 2 and scenario.settled(cast):
            return kills
        if elapsed > SETTLE_LIMIT:
            raise RuntimeError(
                f"not settled {SETTLE_LIMIT} s after the launch: {scenario.counts()}"
            )
        if elapsed >= next_report:
            print(f"  +{elapsed:.0f} s: {scenario.counts()}", flush=True)
            next_report += 15
        time.sleep(1)


def run(logs: Path) -> int:
    began = time.monotonic()
    n8n_folder = install()
    standin = QuotaStandIn(
        units=QUOTA_PER_MINUTE * SEND_COST, send_cost=SEND_COST, steady_start=False
    )
    with tempfile.TemporaryDirectory(prefix="campaigns-scale-") as scratch, Fleet(logs) as fleet:
        try:
            cast, env, web = start_everything(fleet, n8n_folder, Path(scratch), standin)
            from tests.scale import checks, scenario  # Django is set up by now

            print(f"started in {time.monotonic() - began:.0f} s; launching", flush=True)
            started = scenario.launch_together(cast, web, env)
            kills = run_until_settled(fleet, cast, started)
            seconds = time.monotonic() - started
            record = checks.Run(standin, cast, checks.rows(), kills)
            verdicts = checks.verdicts(record)
            lines = checks.figures(record, seconds, started)
        except BaseException:
            print(f"\nThe scale test stopped. Logs: {logs}\n{fleet.tails()}", file=sys.stderr)
            raise
        finally:
            _close_database_connections()
            standin.stop()
    print("\n".join(["", "Figures:", *(f"  {line}" for line in lines)]))
    print(f"  total, with start-up: {time.monotonic() - began:.0f} s; logs: {logs}")
    return report(verdicts, logs)


def report(verdicts: dict[str, list[str]], logs: Path) -> int:
    """Each check and its problems, then a closing line that CI reads; 1 if any failed."""
    print("\nChecks:")
    for check, problems in verdicts.items():
        print(f"  {'FAILED' if problems else 'ok'}: {check}")
        for problem in problems[:20]:
            print(f"      {problem}")
    failed = sum(bool(problems) for problems in verdicts.values())
    if failed:
        print(f"Logs: {logs}")
    print(f"scale: {len(verdicts) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _close_database_connections() -> None:
    """Before PostgreSQL stops (it is the fleet's first process, so it stops last)."""
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    parser.add_argument("--logs", type=Path, default=ROOT / "var" / "scale" / stamp)
    logs = parser.parse_args().logs
    logs.mkdir(parents=True, exist_ok=True)
    print(f"Scale-out test; every process's log goes to {logs}", flush=True)
    return run(logs)


if __name__ == "__main__":
    sys.exit(main())
