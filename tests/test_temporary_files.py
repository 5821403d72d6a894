"""A test run leaves nothing in the temporary folder, whatever its outcome (a failure, a
SIGTERM): whatever runs on the test settings writes under one folder that its first process
removes when it exits (`make test` also checks the whole run: tests/in_empty_tmp.sh); n8n
takes its folder with it when it stops."""

import os
import subprocess
import sys
from pathlib import Path

from tests.n8n.runner import N8n

ROOT = Path(__file__).resolve().parent.parent

WRITE_THEN_FAIL = """
import os, tempfile
import django
django.setup()
from django.conf import settings
print(os.environ["CAMPAIGNS_TEST_ROOT"])
(settings.VAR_DIR / "outbox").mkdir(parents=True)
(settings.VAR_DIR / "outbox" / "1.eml").write_text("a message")
tempfile.mkstemp()
tempfile.mkdtemp()
raise RuntimeError("a failing run")
"""


def test_a_failing_process_on_the_test_settings_leaves_nothing_behind(tmp_path):
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"CAMPAIGNS_TEST_ROOT", "VAR_DIR", "DATABASE_URL"}
    }
    result = subprocess.run(
        [sys.executable, "-c", WRITE_THEN_FAIL],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "settings.test", "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "a failing run" in result.stderr
    run_root = Path(result.stdout.strip())
    assert run_root.parent == tmp_path
    assert not run_root.exists()
    assert list(tmp_path.iterdir()) == []


def test_n8n_takes_its_folder_with_it_when_it_stops(tmp_path):
    n8n = N8n(tmp_path / "install", {})
    (Path(n8n.home) / "database.sqlite").write_text("n8n's own data")
    n8n.stop()  # never started: stopping still removes its folder
    assert not Path(n8n.home).exists()


def test_a_run_stopped_by_sigterm_leaves_nothing_behind(tmp_path):
    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "test_waits.py").write_text(
        "import time\n\ndef test_waits(tmp_path):\n"
        "    (tmp_path / 'data').write_text('x')\n    print('started', flush=True)\n"
        "    time.sleep(60)\n"
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"CAMPAIGNS_TEST_ROOT", "VAR_DIR", "DATABASE_URL"}
        and not name.startswith("PYTEST_")
    }
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-s",
            "-q",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(ROOT),
            str(tmp_path / "case"),
        ],
        cwd=ROOT,
        env={**environment, "TMPDIR": str(scratch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert run.stdout is not None
    for line in run.stdout:
        if "started" in line:
            break
    run.terminate()
    run.wait(timeout=60)
    assert list(scratch.iterdir()) == []
