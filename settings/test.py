"""Test settings: the base settings in development mode, with fast hashing and a
throw-away var/ folder."""

import os
import tempfile

# Unset means production (settings/base.py): the tests ask for development by name.
os.environ["DJANGO_DEBUG"] = "1"
if "VAR_DIR" not in os.environ:  # made only when needed: mypy and bench give their own
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="campaigns-test-")

from settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the crash test runs the sender in a separate process.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
