"""Unset means production; production refuses to start without its secrets and passes the
deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from manage import DEVELOPMENT_HINT

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        # DJANGO_DEBUG too (the test settings set it): each test says which mode it wants.
        if key not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "DJANGO_DEBUG"}
    }
    environment.update(DJANGO_SETTINGS_MODULE="settings.base", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_with_django_debug_unset_the_project_is_in_production(tmp_path):
    refused = manage("check", VAR_DIR=str(tmp_path))
    assert refused.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_DEBUG is off" in refused.stderr
    assert not (tmp_path / "dev_keys.json").exists()
    given_secrets = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        SECRET_KEY="s3cr3t-" + "k" * 60,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        PUBLIC_BASE_URL="https://campaigns.example.com",
        GOOGLE_CLIENT_ID="client-id",
        GOOGLE_CLIENT_SECRET="client-secret",
        VAR_DIR=str(tmp_path),
    )
    assert given_secrets.stdout.strip().splitlines()[-1] == "False", given_secrets.stderr


def test_a_command_run_without_django_debug_says_in_one_line_how_to_set_it(tmp_path):
    result = manage("load_demo", "--reset", VAR_DIR=str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"manage.py: SECRET_KEY must be set when DJANGO_DEBUG is off ({DEVELOPMENT_HINT})"
    ]
    assert "export DJANGO_DEBUG=1" in DEVELOPMENT_HINT and result.stdout == ""


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage("check", DJANGO_DEBUG="0", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert result.stderr == "manage.py: SECRET_KEY must be set when DJANGO_DEBUG is off\n"


def test_production_refuses_to_start_without_an_encryption_key(tmp_path):
    result = manage("check", DJANGO_DEBUG="0", SECRET_KEY="x" * 60, VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_a_malformed_encryption_key_stops_start_up(tmp_path):
    result = manage(
        "check", DJANGO_DEBUG="1", FIELD_ENCRYPTION_KEY="not-a-key", VAR_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY defined incorrectly" in result.stderr


def test_production_settings_pass_the_deploy_checks(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        SECRET_KEY="s3cr3t-" + "k" * 60,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="campaigns.example.com",
        PUBLIC_BASE_URL="https://campaigns.example.com",
        GOOGLE_CLIENT_ID="client-id",
        GOOGLE_CLIENT_SECRET="client-secret",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "dev_keys.json").exists()


def test_development_makes_its_own_keys_outside_the_repository(tmp_path):
    result = manage("check", DJANGO_DEBUG="1", VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dev_keys.json").stat().st_mode & 0o777 == 0o600
