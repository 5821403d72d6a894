"""The processes of the scale test. Each runs in a process group of its own with its output
in a log file of the run's folder, and the fleet stops every one of them when the test
ends, however it ends (the driver's exit, an exception, Ctrl-C, SIGTERM); one the driver
dies without stopping is killed by the kernel (PR_SET_PDEATHSIG). A process started
`supervised` runs under tests/scale/supervise.py, which starts it again whenever it exits,
as systemd's Restart=always does in production."""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 15
TAIL_LINES = 12
SUPERVISOR = Path(__file__).resolve().parent / "supervise.py"
# Looked up before any fork: the child, between fork and exec, only calls it.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent() -> None:
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Running:
    name: str
    process: subprocess.Popen
    log: Path
    stop_signal: int


class Fleet:
    """Start processes with `start`, crash one with `kill`; leaving the `with` block stops
    the rest, the last started first."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, Running] = {}

    def __enter__(self) -> "Fleet":
        signal.signal(signal.SIGTERM, _exit_on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def start(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        *,
        stop_signal: int = signal.SIGTERM,
        user: str | None = None,
        supervised: bool = False,
    ) -> subprocess.Popen:
        if supervised:
            args = [sys.executable, str(SUPERVISOR), *args]
        log = self.logs / f"{name}.log"
        output: IO = log.open("ab")
        process = subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
        output.close()
        self.running[name] = Running(name, process, log, stop_signal)
        return process

    def alive(self, name: str) -> bool:
        return self.running[name].process.poll() is None

    def kill(self, name: str) -> None:
        """SIGKILL the process and its group: a crash, nothing is cleaned up."""
        running = self.running[name]
        _signal_group(running.process, signal.SIGKILL)
        running.process.wait()

    def crash(self, name: str) -> int:
        """SIGKILL a supervised process's command, not its supervisor, which starts it
        again: a crash in production, under systemd. Returns the killed pid."""
        supervisor = self.running[name].process.pid
        children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
        if not children:
            raise RuntimeError(f"{name}: its supervisor runs no command now")
        pid = int(children[0])
        os.kill(pid, signal.SIGKILL)
        return pid

    def restarts(self, name: str) -> int:
        """How many times the supervisor started a supervised process's command again."""
        return self.log_text(name).count("supervise: started ") - 1

    def log_text(self, name: str) -> str:
        return self.running[name].log.read_text(errors="replace")

    def check_alive(self, *names: str) -> None:
        """Raise if any named process has exited (with the end of its log)."""
        for name in names or list(self.running):
            if not self.alive(name):
                code = self.running[name].process.returncode
                raise RuntimeError(f"{name} exited ({code}):\n{self.tail(name)}")

    def tail(self, name: str) -> str:
        lines = self.log_text(name).splitlines()[-TAIL_LINES:]
        return "\n".join(f"    {line}" for line in lines)

    def tails(self) -> str:
        return "\n".join(
            f"  {name} ({r.log}):\n{self.tail(name)}" for name, r in self.running.items()
        )

    def stop(self, name: str) -> None:
        """Stop the process (and its supervisor) as a service manager does: its stop
        signal, then SIGKILL for what is left after the grace period."""
        running = self.running[name]
        if running.process.poll() is None:
            _signal_group(running.process, running.stop_signal)
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            while running.process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
        # Whatever the group left behind (gunicorn's workers, a child of n8n's).
        _signal_group(running.process, signal.SIGKILL)
        running.process.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")
