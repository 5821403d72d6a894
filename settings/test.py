"""Test settings: the base settings in development mode, with fast hashing and a
throw-away folder for everything a run writes."""

import atexit
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

# Unset means production (settings/base.py): the tests ask for development by name.
os.environ["DJANGO_DEBUG"] = "1"

# One folder per run for everything it writes: var/ (the test database, .eml files, keys)
# and, as TMPDIR, the temporary files of the run and of every process it starts (pytest's
# tmp_path, xdist's workers, senders, n8n, Chromium). The process that makes it removes it
# when it exits, whatever the outcome; the processes it starts inherit it. SIGTERM (a
# timeout, CI cancelling the run) ends that process as Ctrl-C does, so that pytest tears
# its fixtures down (n8n, senders) and the folder goes too.
if "CAMPAIGNS_TEST_ROOT" not in os.environ:
    _root = Path(tempfile.mkdtemp(prefix="campaigns-test-"))
    (_root / "tmp").mkdir()
    os.environ["CAMPAIGNS_TEST_ROOT"] = str(_root)
    os.environ["TMPDIR"] = tempfile.tempdir = str(_root / "tmp")
    atexit.register(shutil.rmtree, _root, ignore_errors=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)
# The bench gives its own VAR_DIR (and make lint gives mypy its own CAMPAIGNS_TEST_ROOT).
os.environ.setdefault("VAR_DIR", str(Path(os.environ["CAMPAIGNS_TEST_ROOT"]) / "var"))

from settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the crash test runs the sender in a separate process.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# The suite moves time with time_machine, which moves this process's clock, not the
# database's: the outbox reads the process's here (tests of the database's clock say so).
OUTBOX_DATABASE_CLOCK = False
