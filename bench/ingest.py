"""Stage 5, api_ingest: n8n's log-message reports per second under gunicorn on PostgreSQL.

The worker makes `size` claimed messages per contender, starts gunicorn (production
settings, secrets made up for the run, persistent database connections) and posts signed
reports from a few client threads; then it checks that every message got its status. It
also reads how much CPU the gunicorn workers, their PostgreSQL backends and the client
used, which says what limits the figure.
"""

import http.client
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from campaigns.n8n import signing

ROOT = Path(__file__).resolve().parent.parent
BATCH = 100  # reports per call in the batch form
CLIENTS = 4  # client threads posting at once
WORKERS = 3  # gunicorn sync workers: two cores, shared with PostgreSQL and the client
BODY = "<p>" + "A bright home with a garden, close to schools. " * 50 + "</p>"


def prepare(size: int, forms: list[str]) -> dict[str, list[dict]]:
    """Per form, `size` messages claimed by n8n (status `sending`) as report payloads."""
    from django.contrib.auth.models import User

    from campaigns.models import Campaign, CampaignStep, Dispatch, EmailAccount, MessageLog
    from crm.models import Lead, Organization
    from crm.site.bulk import insert_many

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", slug="bench", postal_address="x")
    leads = [
        Lead(organization=organization, name=f"Lead {n}", email=f"lead{n}@example.com")
        for n in range(size)
    ]
    insert_many(leads)
    account = EmailAccount.objects.create(
        organization=organization,
        user=User.objects.create(username="bench"),
        email_address="agent@gmail.example",
        display_name="Agent",
    )
    reports = {}
    now = timezone.now()
    for form in forms:
        campaign = Campaign.objects.create(
            organization=organization,
            name=form,
            email_account=account,
            status=Campaign.Status.ACTIVE,
        )
        step = CampaignStep.objects.create(campaign=campaign, subject="Hi", body_template=BODY)
        dispatch = Dispatch.objects.create(
            organization=organization,
            campaign=campaign,
            campaign_step=step,
            email_account=account,
            driver=Dispatch.Driver.N8N,
            total=size,
        )
        logs = [
            MessageLog(
                organization=organization,
                campaign=campaign,
                campaign_step=step,
                lead=lead,
                dispatch=dispatch,
                email_account=account,
                status=MessageLog.Status.SENDING,
                claimed_at=now,
                to_email=lead.email,
                subject=f"Hi {lead.name}",
                body_html=BODY,
                message_id=f"<{uuid.uuid4().hex}@gmail.example>",
            )
            for lead in leads
        ]
        insert_many(logs)
        reports[form] = [
            {
                "message_log_id": str(log.pk),
                "campaign_id": str(campaign.pk),
                "lead_id": str(log.lead_id),
                "status": "sent",
                "provider_message_id": f"gmail-{n}",
                "sent_at": now.isoformat(),
            }
            for n, log in enumerate(logs)
        ]
    return reports


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(secret: str) -> tuple[subprocess.Popen, str]:
    """gunicorn with production settings; the secrets exist only for this run."""
    from cryptography.fernet import Fernet

    port = _free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.ingest_settings",
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(48),
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        GOOGLE_CLIENT_ID="bench",
        GOOGLE_CLIENT_SECRET="bench",
        PUBLIC_BASE_URL="https://campaigns.example",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # TLS ends at the proxy in front; here there is none
        N8N_WEBHOOK_SECRET=secret,
        # Every call is signed before the clock starts; a slow run must not outlive them.
        N8N_SIGNATURE_TOLERANCE_SECONDS="3600",
        DB_CONN_MAX_AGE="600",  # persistent connections, as a deployment sets them
        LOG_LEVEL="WARNING",
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            "settings.wsgi:application",
        ],
        env=env,
        cwd=ROOT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            # A worker's first answer loads the project: slow on a busy machine.
            requests.get(f"{base_url}/admin/login/", timeout=30)
            return server, base_url
        except requests.RequestException:  # refused, or slow to answer while it starts
            time.sleep(0.1)
    server.terminate()  # the master stops its workers; a kill would orphan them
    server.wait(timeout=30)
    raise SystemExit("gunicorn did not start")


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


def _server_pids(server: subprocess.Popen) -> tuple[list[int], list[int]]:
    """The gunicorn workers, and the PostgreSQL backends other than this process's."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in cursor.fetchall()]
    return [int(pid) for pid in children], backends


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def post_all(base_url: str, calls: list[tuple[str, bytes, dict[str, str]]]) -> None:
    """Post every prepared (path, body, headers) from CLIENTS threads; every answer must be
    a 200. http.client, not requests: under a third of the CPU a call (0.5 ms, not 1.7), which
    the two cores share with the server."""
    host, port = base_url.removeprefix("http://").split(":")
    pending, failures = iter(calls), []
    lock = threading.Lock()

    def client() -> None:
        # gunicorn's sync workers close each connection: http.client opens the next one.
        session = http.client.HTTPConnection(host, int(port), timeout=60)
        while True:
            with lock:
                call = next(pending, None)
            if call is None:
                session.close()
                return
            path, body, headers = call
            session.request("POST", path, body=body, headers=headers)
            response = session.getresponse()
            answer = response.read()
            if response.status != 200:
                failures.append(f"{response.status} {answer[:200]!r}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]


def run(size: int, forms_measured: list[str]) -> dict[str, dict]:
    """Measure each form (`single`, `batch`, `naive`, `plain_batch`, and the `limit`) in
    turn against one gunicorn, BENCH_ROUNDS rounds, the order rotating every round."""

    secret = secrets.token_urlsafe(32)
    reports = prepare(size, forms_measured)
    server, base_url = serve(secret)
    log_path = "/api/campaigns/log-message/"  # what is signed, with the method and body

    def signed(body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(body, path=log_path, secret=secret),
        }

    def naive(body: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}

    forms = {
        "single": (
            log_path,
            lambda items: [json.dumps(item).encode() for item in items],
            signed,
        ),
        "batch": (
            log_path,
            lambda items: [
                json.dumps({"messages": items[start : start + BATCH]}).encode()
                for start in range(0, len(items), BATCH)
            ],
            signed,
        ),
        "naive": (
            "/bench/naive-log-message/",
            lambda items: [
                json.dumps({key: item[key] for key in item if key != "message_log_id"}).encode()
                for item in items
            ],
            naive,
        ),
        "plain_batch": (
            "/bench/plain-batch-log-message/",
            lambda items: [
                json.dumps({"messages": items[start : start + BATCH]}).encode()
                for start in range(0, len(items), BATCH)
            ],
            naive,
        ),
    }
    results: dict[str, list[dict]] = {}
    rounds = int(os.environ.get("BENCH_ROUNDS", "1"))
    try:
        for number in range(rounds):
            if number:
                _reset(forms_measured)
            shift = number % len(forms_measured)
            for form in forms_measured[shift:] + forms_measured[:shift]:
                if form == "limit":
                    found = _limit(reports[form], size)
                else:
                    found = _measure_form(form, forms[form], reports[form], size, server, base_url)
                results.setdefault(form, []).append(found)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        form: {**found[0], "values": [result["value"] for result in found]}
        for form, found in results.items()
    }


def _reset(forms: list[str]) -> None:
    """Every form's messages claimed again, as before the first round (untimed)."""
    from campaigns.models import MessageLog

    MessageLog.objects.filter(campaign__name__in=forms).update(
        status=MessageLog.Status.SENDING, provider_message_id="", sent_at=None
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE campaigns_messagelog")


def _recorded(form: str, size: int) -> None:
    from campaigns.models import Campaign, MessageLog

    campaign = Campaign.objects.get(name=form)
    recorded = (
        MessageLog.objects.filter(campaign=campaign, status=MessageLog.Status.SENT)
        .exclude(provider_message_id="")
        .count()
    )
    assert recorded == size, f"{form}: {recorded} of {size} messages recorded as sent"


def _limit(reports: list[dict], size: int) -> dict:
    """The physical limit: the same reports written by raw UPDATE ... FROM (VALUES ...), 100
    rows a statement, each committed, from this process (no HTTP, no JSON, no checks)."""
    backend = _own_backend()
    cpu = (_cpu_seconds([backend]), _client_cpu())
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for start in range(0, len(reports), BATCH):
            batch = reports[start : start + BATCH]
            rows = ", ".join(["(%s::uuid, %s, %s, %s::timestamptz)"] * len(batch))
            params = [
                value
                for report in batch
                for value in (
                    report["message_log_id"],
                    report["status"],
                    report["provider_message_id"],
                    report["sent_at"],
                )
            ]
            cursor.execute(
                "UPDATE campaigns_messagelog AS m SET status = v.status, "
                "provider_message_id = v.provider, sent_at = v.sent_at, updated_at = now() "
                f"FROM (VALUES {rows}) AS v(id, status, provider, sent_at) WHERE m.id = v.id",
                params,
            )
    seconds = time.perf_counter() - started
    postgres_cpu = _cpu_seconds([backend]) - cpu[0]
    _recorded("limit", size)
    return {
        "value": size / seconds,
        "seconds": seconds,
        "note": f"limit: {size:,} reports by raw UPDATE ... FROM (VALUES ...), {BATCH} a "
        f"statement, {seconds:.1f} s; CPU s: PostgreSQL {postgres_cpu:.1f}, "
        f"client {_client_cpu() - cpu[1]:.1f}",
    }


def _own_backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _measure_form(
    form: str, how: tuple, reports: list[dict], size: int, server: subprocess.Popen, base_url: str
) -> dict:
    """One form's reports posted to the server, and what that took."""
    path, encode, headers = how
    # Warm every worker up (imports, URL resolver): unsigned calls, answered 401.
    for _ in range(WORKERS * 4):
        requests.post(base_url + path, data=b"{}", timeout=30)
    # Encoded and signed before the clock starts: the client's time is n8n's, not
    # the server's (the signatures stay valid: the bench widens their window).
    prepared = [(path, body, headers(body)) for body in encode(reports)]
    calls = len(prepared)
    workers, backends = _server_pids(server)
    cpu = (_cpu_seconds(workers), _cpu_seconds(backends), _client_cpu())
    started = time.perf_counter()
    post_all(base_url, prepared)
    seconds = time.perf_counter() - started
    workers, backends = _server_pids(server)
    used = (_cpu_seconds(workers), _cpu_seconds(backends), _client_cpu())
    gunicorn_cpu, postgres_cpu, client_cpu = (b - a for a, b in zip(cpu, used, strict=True))
    _recorded(form, size)
    return {
        "value": size / seconds,
        "seconds": seconds,
        "peak_mb": 0.0,  # the work happens in gunicorn and PostgreSQL
        "note": (
            f"{form}: {size:,} reports in {calls:,} calls, {seconds:.1f} s, "
            f"all recorded; CPU s: gunicorn {gunicorn_cpu:.1f}, "
            f"PostgreSQL {postgres_cpu:.1f}, client {client_cpu:.1f}"
        ),
    }


def stages(size: int) -> dict:
    """On one server and data set, in turn (the order rotating every round): the spec's
    naive view (a get and a save per report), our signed single form, our batch form (100
    reports a call), a plain batch view (bearer token, one locked read, bulk_update) and
    the limit (raw UPDATE ... FROM (VALUES ...), 100 rows a statement)."""
    measured = run(size, ["batch", "plain_batch", "limit", "single", "naive"])
    return {
        "api_ingest_single": {"ours": measured["single"], "peer": measured["naive"]},
        "api_ingest_batch": {
            "ours": measured["batch"],
            "peer": measured["plain_batch"],
            "limit": measured["limit"],
            "single": measured["single"],
        },
    }
