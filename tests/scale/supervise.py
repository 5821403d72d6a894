"""A supervisor for the test fleet's long-running processes, as systemd's `Restart=always`
runs them in production (README, *Scaling out*): it runs a command and, whenever the
command exits, for whatever reason, runs it again after RESTART_SECONDS. SIGTERM or SIGINT
is passed on to the command, and the supervisor exits with it. The command dies with the
supervisor (PR_SET_PDEATHSIG), so nothing outlives the test.

Usage: python tests/scale/supervise.py COMMAND [ARG...]. Each start and exit is a line of
its own on stdout, beside the command's output: `supervise: started <pid>`.
"""

import ctypes
import signal
import subprocess
import sys
import time

RESTART_SECONDS = 1.0
PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_supervisor() -> None:
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(command: list[str]) -> int:
    stopping: list[int] = []
    child: subprocess.Popen | None = None

    def stop(signum: int, frame: object) -> None:
        stopping.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        child = subprocess.Popen(command, preexec_fn=_die_with_supervisor)
        print(f"supervise: started {child.pid}: {' '.join(command)}", flush=True)
        code = child.wait()
        if stopping:
            return code
        print(f"supervise: {child.pid} exited ({code}); again in {RESTART_SECONDS:g} s", flush=True)
        time.sleep(RESTART_SECONDS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
