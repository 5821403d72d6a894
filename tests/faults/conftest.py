"""The fault tests' fixtures (`make test-faults`, run apart from the suite: pytest without
pytest-django, this folder's conftest only). One PostgreSQL cluster for the session, run by
pg_ctl so a test can crash it; a database of its own for each test, copied from a migrated
template; Django set up in this process on it (the driver makes the agency and reads the
outcome through the ORM); a Gmail stand-in and a fleet of processes for each test, whose
logs are kept under var/faults/<run>/<test>/. Django is set up when this file is read, so
that test modules may import models; it reaches the database only once the cluster runs."""

import datetime
import itertools
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import django
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from bench.gmail_standin import CLIENT_ID, CLIENT_SECRET, QuotaStandIn  # noqa: E402
from tests.faults.cluster import Cluster  # noqa: E402
from tests.n8n.runner import free_port  # noqa: E402
from tests.scale.processes import Fleet  # noqa: E402

TEMPLATE = "faults_template"
WEBHOOK_SECRET = "fault-test-webhook-secret-0123456789abcdef"
SEND_COST = 100
# A faster quota than Gmail's 150 a minute: runs stay short, and pacing is still tested.
QUOTA_PER_MINUTE = 600
RUN = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
_numbers = itertools.count(1)
PG_PORT = free_port()
# One set of keys for this process and every process it starts (the encrypted tokens the
# driver writes are read by the senders).
KEYS = {
    "SECRET_KEY": secrets.token_urlsafe(40),
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "N8N_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
os.environ.update(
    {
        **KEYS,
        "DJANGO_SETTINGS_MODULE": "settings.base",
        "DJANGO_DEBUG": "1",
        "VAR_DIR": tempfile.mkdtemp(prefix="campaigns-faults-driver-"),
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{PG_PORT}/{TEMPLATE}",
        "N8N_BASE_URL": "",
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "GMAIL_QUOTA_UNITS_PER_MINUTE": str(QUOTA_PER_MINUTE * SEND_COST),
    }
)
django.setup()


@pytest.fixture(scope="session")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="campaigns-faults-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def cluster(scratch: Path) -> Iterator[Cluster]:
    """The session's PostgreSQL, with the migrated template every test's database copies."""
    from django.core.management import call_command
    from django.db import connections

    cluster = Cluster(scratch / "pg", PG_PORT)
    cluster.start()
    try:
        cluster.execute(f'CREATE DATABASE "{TEMPLATE}"')
        call_command("migrate", verbosity=0)
        connections.close_all()  # a template must have no connection when it is copied
        yield cluster
    finally:
        from django.db import connections

        connections.close_all()
        cluster.stop()


@pytest.fixture
def database(cluster: Cluster) -> Iterator[str]:
    """A database for this test, copied from the template; Django's connection uses it."""
    from django.db import connections

    name = f"faults_{next(_numbers)}"
    connections.close_all()
    cluster.configure(synchronous_commit=None)  # the server's default unless a test says
    cluster.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    connections["default"].settings_dict["NAME"] = name
    yield name
    connections.close_all()
    connections["default"].settings_dict["NAME"] = TEMPLATE


@pytest.fixture
def standin() -> Iterator[QuotaStandIn]:
    standin = QuotaStandIn(
        units=QUOTA_PER_MINUTE * SEND_COST, send_cost=SEND_COST, steady_start=False
    )
    yield standin
    standin.stop()


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    cluster: Cluster,
    database: str,
    standin: QuotaStandIn,
    scratch: Path,
):
    """The test's world (tests/faults/world.py); its processes stop when the test ends."""
    from django.conf import settings

    from tests.faults.world import World

    logs = ROOT / "var" / "faults" / RUN / request.node.name
    logs.mkdir(parents=True, exist_ok=True)
    var = scratch / f"var-{database}"
    var.mkdir()
    settings.SANDBOX_OUTBOX_DIR = var / "outbox"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.base",
        "DJANGO_DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
        "VAR_DIR": str(var),
        "DATABASE_URL": cluster.url(database),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "N8N_BASE_URL": "",
        "GOOGLE_TOKEN_URI": f"{standin.base_url}/token",
        "GMAIL_API_BASE_URL": standin.base_url,
    }
    with Fleet(logs) as fleet:
        yield World(cluster, database, standin, env, fleet, logs, var, QUOTA_PER_MINUTE)
