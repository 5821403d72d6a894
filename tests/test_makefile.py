"""`make scale-engines` installs only the engines that are missing: an npm already on PATH
is kept (Debian's npm conflicts with a Node.js installed from elsewhere, and apt then
refuses the whole install). Stand-in `apt-get` and `npm` on PATH record what is asked."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_scale_engines(tmp_path: Path, *present: str) -> list[str]:
    """`make scale-engines` as root, with a PATH of stand-ins: the `present` commands exist
    (and PostgreSQL's `initdb` if "postgresql" is among them); returns the apt-get calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    calls = tmp_path / "apt-get.calls"
    (bin_dir / "make").symlink_to(shutil.which("make"))
    stand_ins = {
        "apt-get": f'echo "$*" >> {calls}',
        "id": "echo 0",
        "ls": "exit 0" if "postgresql" in present else "exit 2",
        **{name: "exit 0" for name in present if name != "postgresql"},
    }
    for name, body in stand_ins.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    result = subprocess.run(
        ["make", "-s", "scale-engines"],
        cwd=ROOT,
        env={**os.environ, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return calls.read_text().splitlines() if calls.exists() else []


def test_an_npm_already_there_is_not_installed_again(tmp_path):
    calls = run_scale_engines(tmp_path, "npm", "faketime")
    assert calls == ["update -qq", "install -y -qq redis-server postgresql"]


def test_only_what_is_missing_is_installed(tmp_path):
    assert run_scale_engines(tmp_path, "redis-server", "postgresql") == [
        "update -qq",
        "install -y -qq npm faketime",
    ]
    everything = ("npm", "redis-server", "postgresql", "faketime")
    assert run_scale_engines(tmp_path / "all", *everything) == []
