"""Unset means production; production refuses to start without its secrets and passes the
deploy checks."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
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


def production(**env: str) -> subprocess.CompletedProcess:
    """`manage.py check` with production settings, every secret given and strong, but `env`."""
    strong = dict(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        N8N_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="campaigns.example.com",
        PUBLIC_BASE_URL="https://campaigns.example.com",
        GOOGLE_CLIENT_ID="client-id",
        GOOGLE_CLIENT_SECRET="client-secret",
    )
    return manage("check", **{**strong, **env})


ZERO_KEY = base64.urlsafe_b64encode(bytes(32)).decode()
# Fixed, so every xdist worker collects the same test ids.
STRONG_KEY = "8PJpGxGs-NGNbEumSkfSQXd8BsrbCabPSXV-ZaYp2VI="
STRONG_SECRET = "Jq0v5mRk3xS9tW2yZb7cLp4nHd8gFa1eUo6iYr0sTw4"
REPEATED_KEY = base64.urlsafe_b64encode(b"\x01\x02" * 16).decode()


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("N8N_WEBHOOK_SECRET", "a", "is too short to hold 32 random bytes"),
        ("N8N_WEBHOOK_SECRET", "shared-secret", "is too short to hold 32 random bytes"),
        ("N8N_WEBHOOK_SECRET", "a" * 64, "is not random (one pattern repeated)"),
        ("N8N_WEBHOOK_SECRET", "0123456789abcdef" * 4, "is not random (one pattern repeated)"),
        ("N8N_WEBHOOK_SECRET", "s3cr3t-" + "k" * 60, "is not random (too few distinct"),
        ("N8N_WEBHOOK_SECRET", f"{STRONG_SECRET},weak", "is too short"),
        ("FIELD_ENCRYPTION_KEY", ZERO_KEY, "is not a random key (all zeros)"),
        ("FIELD_ENCRYPTION_KEY", REPEATED_KEY, "is not a random key (a pattern repeated)"),
        ("FIELD_ENCRYPTION_KEY", f"{STRONG_KEY},{ZERO_KEY}", "is not a random key (all zeros)"),
    ],
)
def test_production_refuses_a_weak_secret_with_the_reason(tmp_path, name, value, reason):
    result = production(VAR_DIR=str(tmp_path), **{name: value})
    assert result.returncode != 0
    assert f"{name} {reason}" in result.stderr


def test_production_starts_with_random_secrets_of_32_bytes(tmp_path):
    hex_secret = production(VAR_DIR=str(tmp_path), N8N_WEBHOOK_SECRET=secrets.token_hex(32))
    assert hex_secret.returncode == 0, hex_secret.stderr
    assert production(VAR_DIR=str(tmp_path)).returncode == 0
