"""What reaches the admin from outside is escaped; secrets never reach a page; keys rotate."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.urls import reverse

from campaigns.models import MessageLog

ROOT = Path(__file__).resolve().parent.parent


def test_text_from_callbacks_is_escaped_in_the_admin(client_a, message_a):
    MessageLog.objects.filter(pk=message_a.pk).update(
        status=MessageLog.Status.FAILED, error_message="<script>alert('x')</script>"
    )
    page = client_a.get(reverse("admin:campaigns_messagelog_change", args=[message_a.pk]))
    body = page.content.decode()
    assert "<script>alert('x')</script>" not in body
    assert "&lt;script&gt;" in body


@pytest.fixture
def migrated_sqlite(tmp_path, django_db_setup, django_db_blocker) -> Path:
    """A migrated SQLite database of the test's own, for processes it starts: a copy of the
    test database when the suite runs on SQLite (migrating takes 10 to 20 s here), else an
    empty file that the test migrates."""
    database = tmp_path / "own.sqlite3"
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock():
            connection.ensure_connection()
            with sqlite3.connect(database) as copy:
                connection.connection.backup(copy)
            copy.close()
    return database


def test_rotating_the_encryption_key_keeps_old_tokens_readable(tmp_path, migrated_sqlite):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    database = migrated_sqlite
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.base",
        "DJANGO_DEBUG": "1",  # development (no SECRET_KEY needed): unset means production
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
    }

    def manage(*args, key):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            text=True,
            capture_output=True,
            env={**base, "FIELD_ENCRYPTION_KEY": key},
            timeout=120,
        )

    if not database.exists():
        assert manage("migrate", "-v0", key=old).returncode == 0
    create = (
        "from django.contrib.auth.models import User;"
        "from crm.models import Organization;"
        "from campaigns.models import EmailAccount;"
        "o = Organization.objects.create(name='O', slug='o', postal_address='x');"
        "u = User.objects.create(username='u');"
        "EmailAccount.objects.create(organization=o, user=u, email_address='a@x.example',"
        " display_name='A', refresh_token='1//the-refresh-token')"
    )
    assert manage("shell", "-v0", "-c", create, key=old).returncode == 0
    read = (
        "from campaigns.models import EmailAccount; print(EmailAccount.objects.get().refresh_token)"
    )
    # The new key first (it encrypts from now on), the old one still listed (it decrypts).
    rotated = manage("shell", "-v0", "-c", read, key=f"{new},{old}")
    assert rotated.stdout.strip().splitlines()[-1] == "1//the-refresh-token", rotated.stderr
    unreadable = manage("shell", "-v0", "-c", read, key=new)
    assert "1//the-refresh-token" not in unreadable.stdout
