"""The engines a scaled-out deployment runs, started on loopback as the test's fleet:
PostgreSQL, Redis, n8n in queue mode (a main process and workers), Django under gunicorn,
and the direct senders. Each `start_*` returns once its engine answers."""

import functools
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import requests

from tests.n8n.runner import WORKFLOW_ID, WORKFLOWS, free_port, n8n_bin, n8n_env
from tests.scale.processes import Fleet

ROOT = Path(__file__).resolve().parent.parent.parent
READY_SECONDS = 180
N8N_ENCRYPTION_KEY = "scale-test-encryption-key-0123456789"
N8N_WORKER_READY = "n8n worker is now ready"
N8N_ACTIVATED = "Activated workflow"


def _logged(fleet: Fleet, name: str, line: str) -> bool:
    return line in fleet.log_text(name)


def wait_until(what: str, ready: Callable[[], bool], fleet: Fleet, *names: str) -> None:
    """Poll `ready` until it is true; fail when one of `names` exits or time runs out."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        fleet.check_alive(*names)
        try:
            if ready():
                return
        except (OSError, requests.RequestException, psycopg.Error):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} was not ready after {READY_SECONDS} s")


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[4]))
    if not found:
        raise RuntimeError("PostgreSQL is needed: apt-get install postgresql")
    return found[-1].parent


def start_postgres(fleet: Fleet, folder: Path, port: int, databases: list[str]) -> str:
    """A throw-away cluster in `folder` (run as the postgres user when we are root, as
    initdb asks), with `databases` created; returns the server's URL, without a database."""
    binaries = postgres_bin()
    folder.mkdir(mode=0o700)
    user = None
    if os.getuid() == 0:
        user = "postgres"
        owner = pwd.getpwnam(user)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        os.chmod(folder.parent, 0o755)  # the postgres user must reach its folder
    subprocess.run(
        [binaries / "initdb", "-D", folder / "data", "-A", "trust", "-U", "postgres", "-E", "UTF8"],
        user=user,
        check=True,
        capture_output=True,
    )
    settings = ["listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off"]
    args = [str(binaries / "postgres"), "-D", str(folder / "data"), "-p", str(port)]
    args += ["-k", str(folder)]
    for setting in settings:
        args += ["-c", setting]
    # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to leave.
    fleet.start("postgres", args, dict(os.environ), stop_signal=signal.SIGINT, user=user)
    server = f"postgresql://postgres@127.0.0.1:{port}"

    def accepts() -> bool:
        with psycopg.connect(f"{server}/postgres", connect_timeout=2):
            return True

    wait_until("PostgreSQL", accepts, fleet, "postgres")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        for name in databases:
            connection.execute(f'CREATE DATABASE "{name}"')
    return server


def start_redis(fleet: Fleet, folder: Path, port: int | None = None) -> int:
    """Debian's redis-server on loopback, as the README's recipe runs it: append-only
    persistence (every write logged in `folder`, synced each second), so that a restart
    keeps n8n's queue; returns its port (`port`: the same again, after a crash)."""
    port = port or free_port()
    folder.mkdir(exist_ok=True)
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]
    args += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
    fleet.start("redis", [*args, "--daemonize", "no"], dict(os.environ))

    def pong() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")

    wait_until("Redis", pong, fleet, "redis")
    return port


def n8n_queue_env(
    folder: Path,
    home: Path,
    pg_port: int,
    redis_port: int,
    workflow: dict[str, str],
    database: str = "n8n",
) -> dict[str, str]:
    """One environment for n8n's main, its workers and its CLI: queue mode on Redis, n8n's
    own database on PostgreSQL, one encryption key."""
    return {
        **n8n_env(folder, str(home), free_port()),
        "EXECUTIONS_MODE": "queue",
        "QUEUE_BULL_REDIS_HOST": "127.0.0.1",
        "QUEUE_BULL_REDIS_PORT": str(redis_port),
        "DB_TYPE": "postgresdb",
        "DB_POSTGRESDB_HOST": "127.0.0.1",
        "DB_POSTGRESDB_PORT": str(pg_port),
        "DB_POSTGRESDB_DATABASE": database,
        "DB_POSTGRESDB_USER": "postgres",
        "DB_POSTGRESDB_PASSWORD": "",
        "N8N_ENCRYPTION_KEY": N8N_ENCRYPTION_KEY,
        **workflow,
    }


def _n8n_cli(folder: Path, env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [n8n_bin(folder), *args], env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(f"n8n {args[0]} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def start_n8n(
    fleet: Fleet,
    folder: Path,
    env: dict[str, str],
    workers: int,
    workflows: tuple[tuple[str, str], ...] = (("campaign_dispatch.json", WORKFLOW_ID),),
) -> str:
    """The shipped workflows (file, id) imported and activated while n8n is stopped
    (activated under a running main, a webhook stays at 404 until a restart), then the main
    process, then the workers; returns the main's URL."""
    for file, workflow_id in workflows:
        _n8n_cli(folder, env, "import:workflow", f"--input={WORKFLOWS / file}")
        _n8n_cli(folder, env, "update:workflow", f"--id={workflow_id}", "--active=true")
    url = start_n8n_main(fleet, folder, env)
    names = [f"n8n-worker-{number}" for number in range(1, workers + 1)]
    for name in names:
        # Under a supervisor, as systemd runs them (Restart=always): a worker exits when
        # Redis goes away, and comes back once Redis does.
        fleet.start(name, [n8n_bin(folder), "worker", "--concurrency=5"], env, supervised=True)
    for name in names:
        wait_until(name, functools.partial(_logged, fleet, name, N8N_WORKER_READY), fleet, name)
    return url


def start_n8n_main(fleet: Fleet, folder: Path, env: dict[str, str]) -> str:
    """n8n's main process, supervised (it may exit when Redis or its database goes away);
    returns its URL once its webhooks are up (again, after a stop)."""
    url = f"http://127.0.0.1:{env['N8N_PORT']}"
    before = fleet.log_text("n8n-main").count(N8N_ACTIVATED) if "n8n-main" in fleet.running else 0
    fleet.start("n8n-main", [n8n_bin(folder), "start"], env, supervised=True)

    def active() -> bool:
        # /healthz answers while migrations still run: the log says when the webhook is up.
        activated = fleet.log_text("n8n-main").count(N8N_ACTIVATED) > before
        return activated and requests.get(f"{url}/healthz", timeout=1).status_code == 200

    wait_until("n8n's main process", active, fleet, "n8n-main")
    return url


def start_gunicorn(fleet: Fleet, env: dict[str, str], workers: int) -> str:
    """Django under gunicorn on loopback; returns its URL once the login page answers."""
    port = int(env["PUBLIC_BASE_URL"].rpartition(":")[2])
    args = [str(ROOT / ".venv" / "bin" / "gunicorn"), "settings.wsgi:application"]
    args += ["--chdir", str(ROOT), "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    args += ["--access-logfile", "-", "--timeout", "60"]
    fleet.start("gunicorn", args, env)
    url = env["PUBLIC_BASE_URL"]
    wait_until(
        "gunicorn",
        lambda: requests.get(f"{url}/admin/login/", timeout=2).status_code == 200,
        fleet,
        "gunicorn",
    )
    return url


def start_senders(
    fleet: Fleet, env: dict[str, str], count: int, prefix: tuple[str, ...] = (), first: int = 1
) -> list[str]:
    """`manage.py send_queued --loop` processes: the direct driver, as a service runs it.
    `prefix` goes before the command (`faketime -f -25h` skews one sender's clock)."""
    names = [f"sender-{number}" for number in range(first, first + count)]
    for name in names:
        args = [
            *prefix,
            sys.executable,
            str(ROOT / "manage.py"),
            "send_queued",
            "--loop",
            "--idle-seconds",
            "1",
        ]
        fleet.start(name, [*args, "--report-seconds", "15"], env)
    return names
