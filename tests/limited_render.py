"""Render a template (or run any call) in a forked child under rlimits, and report what
it cost.

A template that escapes its bound cannot take the test run with it: the child has a CPU
limit, an address-space limit well above the bound being tested, and a wall-clock
deadline after which it is killed.
"""

import gc
import json
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from campaigns.content import rendering

CPU_BOUND = 1.0  # seconds, the bound every render must keep
MEMORY_BOUND = 64  # MB of extra memory, likewise
_CPU_LIMIT = 10  # the child is killed past this many CPU seconds
_EXTRA_ADDRESS_SPACE = 512 * 2**20
_WALL_SECONDS = 60


@dataclass(frozen=True)
class Outcome:
    result: str  # "rendered", "refused" (a TemplateError), an exception's name, or how it died
    message: str = ""
    cpu_seconds: float = 0.0
    peak_mb: float = 0.0

    @property
    def within_bounds(self) -> bool:
        return self.cpu_seconds <= CPU_BOUND and self.peak_mb <= MEMORY_BOUND

    def __str__(self) -> str:
        return f"{self.result} in {self.cpu_seconds:.2f} s, {self.peak_mb:.1f} MB: {self.message}"


def render_limited(source: str, *, html: bool = True) -> Outcome:
    """render(source) with the sample context, in a child: compiling counts, since the
    parent has not compiled it."""
    return run_limited(lambda: rendering.render(source, rendering.SAMPLE_CONTEXT, html=html))


def run_limited(call: Callable[[], Any]) -> Outcome:
    """call() in a child, with its CPU time and the peak of the memory it added (the
    child's resident set, above what it shared with its parent). It "rendered" when it
    returns, was "refused" when it raises TemplateError."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(reader)
            report = _measure(call)
            os.write(writer, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(writer)
    try:
        ready, _, _ = select.select([reader], [], [], _WALL_SECONDS)
        data = _read_all(reader) if ready else b""
    finally:
        os.close(reader)
    if not ready:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if not ready:
        return Outcome("timed out", f"no answer in {_WALL_SECONDS} s")
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return Outcome(f"killed by {name}", cpu_seconds=float(_CPU_LIMIT))
    if not data:
        return Outcome("no report", f"the child exited with status {status}")
    return Outcome(**json.loads(data))


def _read_all(reader: int) -> bytes:
    chunks = []
    while chunk := os.read(reader, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _measure(call: Callable[[], Any]) -> dict[str, Any]:
    resource.setrlimit(resource.RLIMIT_CPU, (_CPU_LIMIT, _CPU_LIMIT + 1))
    with open("/proc/self/statm") as statm:
        address_space, resident = (
            int(pages) * resource.getpagesize() for pages in statm.read().split()[:2]
        )
    limit = address_space + _EXTRA_ADDRESS_SPACE
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # The parent's objects stay out of the collector's way: no copy-on-write faults.
    gc.freeze()
    start = time.process_time()
    result, message = _attempt(call)
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - resident
    return {"result": result, "message": message, "cpu_seconds": cpu, "peak_mb": peak / 2**20}


def _attempt(call: Callable[[], Any]) -> tuple[str, str]:
    try:
        call()
    except rendering.TemplateError as error:
        return "refused", str(error)
    except BaseException as error:
        return type(error).__name__, str(error)[:500]
    return "rendered", ""
