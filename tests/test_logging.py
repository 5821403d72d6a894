"""Each log record is printed once, Django's own included, as `make run` runs (DEBUG on)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import logging
import django

django.setup()
logging.getLogger("django.request").error("a django record")
logging.getLogger("campaigns.outbox.claims").warning("a record of ours")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("django.request").exception("a django traceback")
"""


def test_every_record_and_traceback_is_printed_once(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.base",
        "DJANGO_DEBUG": "1",
        "VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output.count("a django record") == 1
    assert output.count("a record of ours") == 1
    assert output.count("a django traceback") == 1
    assert output.count("Traceback (most recent call last)") == 1
