"""Timing a contender's work, and its peak memory."""

import gc
import json
import os
import resource
import time
import traceback
from collections.abc import Callable


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(work: Callable[[], str | None]) -> dict:
    """Time `work()` (it may return a note) in a forked child, so that the peak memory is the
    work's own: a forked process's peak starts at the memory in use when it forks, while
    this process's peak is the set-up's (importing the leads), higher than most work."""
    from django.db import connections

    connections.close_all()  # the child opens its own
    gc.collect()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        status = 1
        try:
            before = rss_mb()
            started = time.perf_counter()
            note = work()
            seconds = time.perf_counter() - started
            peak = round(rss_mb() - before, 1)
            result = {"value": seconds, "seconds": seconds, "peak_mb": peak, "note": note or ""}
            with os.fdopen(write, "w") as out:
                json.dump(result, out)
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status or not data:
        raise RuntimeError("the measured work failed (its traceback is above)")
    return json.loads(data)
