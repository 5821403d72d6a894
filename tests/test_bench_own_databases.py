"""The bench makes its own databases: the one its environment names is never touched."""

import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def test_the_bench_leaves_the_database_of_its_environment_untouched(tmp_path):
    production = tmp_path / "production.sqlite3"
    with sqlite3.connect(production) as database:
        database.execute("CREATE TABLE precious (value TEXT)")
        database.execute("INSERT INTO precious VALUES ('an agency''s leads')")
    database.close()
    before = production.read_bytes()
    # A production shell: its database, secrets and n8n address are all set.
    environment = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{production}",
        DJANGO_DEBUG="0",
        SECRET_KEY="production-secret-" + "k" * 40,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        GOOGLE_CLIENT_ID="production-client",
        GOOGLE_CLIENT_SECRET="production-secret",
        PUBLIC_BASE_URL="https://campaigns.agency.example",
        N8N_BASE_URL="http://127.0.0.1:9",
        N8N_WEBHOOK_SECRET=secrets.token_urlsafe(32),
    )
    workdir = tmp_path / "bench"
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--tiny", "--workdir", str(workdir), "csv_import"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert production.read_bytes() == before
    assert sorted(tmp_path.glob("production.sqlite3*")) == [production]  # no -wal beside it
    assert (workdir / "results.json").exists()
    assert (workdir / "importing.ours.sqlite3").exists()  # where its leads went
