"""n8n as deployed, for the fault tests that send through it (the issue's N rows): Redis with
append-only persistence, n8n in queue mode (a main process and two workers, each under a
supervisor that starts it again when it exits, as systemd's Restart=always), n8n's own
database on the session's PostgreSQL (a test that crashes the cluster crashes it too), and
the dispatch and tick workflows active (the tick, every minute, runs Django's periodic jobs
and with them the watchdog).

Starting n8n costs half a minute of both cores, so one set serves every test of a module:
each test's Gmail stand-in is reached through a switchboard (a proxy whose upstream each
test sets), and each test's gunicorn listens on the same port (`web_url`), which the
workflows call."""

from dataclasses import dataclass
from pathlib import Path

from tests.faulty_proxy import FaultyProxy
from tests.n8n.runner import TICK_WORKFLOW_ID, WORKFLOW_ID, free_port, install
from tests.scale import engines
from tests.scale.processes import Fleet

WORKERS = 2
DATABASE = "n8n_faults"
WORKFLOWS = (("campaign_dispatch.json", WORKFLOW_ID), ("sequence_tick.json", TICK_WORKFLOW_ID))
# What gunicorn runs with in these tests, beside the world's environment: n8n mode, and the
# waits that production keeps long, shortened so that a test lasts minutes.
TUNING = {
    "N8N_WATCHDOG_MINUTES": "0.5",  # production: 5
    "CLAIM_LEASE_SECONDS": "45",  # production: 900; above Gmail's 30 s timeout
}


@dataclass
class N8nSet:
    fleet: Fleet
    folder: Path
    env: dict[str, str]
    url: str
    web_url: str
    gmail: FaultyProxy
    redis_port: int
    redis_folder: Path

    def restart_main(self) -> None:
        """Start the main process again after a test stopped it."""
        engines.start_n8n_main(self.fleet, self.folder, self.env)

    def restart_redis_empty(self) -> None:
        """Redis started again on its port with nothing: its append-only file is gone, as
        when its disk was lost (the fleet's `kill` came first)."""
        for path in self.redis_folder.rglob("*"):
            if path.is_file():
                path.unlink()
        engines.start_redis(self.fleet, self.redis_folder, port=self.redis_port)


def start(cluster_port: int, scratch: Path, fleet: Fleet, secret: str) -> N8nSet:
    """Redis, the switchboard and n8n; n8n's database must exist on the cluster."""
    folder = install()
    gmail = FaultyProxy("http://127.0.0.1:9")  # each test points it at its stand-in
    web_url = f"http://127.0.0.1:{free_port()}"
    redis_folder = scratch / "n8n-redis"
    redis_port = engines.start_redis(fleet, redis_folder)
    home = scratch / "n8n-home"
    home.mkdir(exist_ok=True)
    workflow = {
        "CAMPAIGNS_WEBHOOK_SECRET": secret,
        "GMAIL_API_BASE_URL": gmail.url,
        "CAMPAIGNS_TICK_URL": f"{web_url}/api/campaigns/tick/",
    }
    env = engines.n8n_queue_env(folder, home, cluster_port, redis_port, workflow, DATABASE)
    url = engines.start_n8n(fleet, folder, env, WORKERS, WORKFLOWS)
    return N8nSet(fleet, folder, env, url, web_url, gmail, redis_port, redis_folder)
