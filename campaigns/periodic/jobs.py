"""The periodic jobs in one function, `run_periodic_jobs`, that every driver calls:
`manage.py send_queued` (as it starts, then every few seconds as a service) and n8n's tick
workflow (the tick API, every minute). With either alone, a scheduled launch starts,
a claim left by a dead sender expires, and so on.

Each job is safe when two callers run it at once (two senders, a sender and n8n's tick):
it moves rows by conditional UPDATEs, or inserts under a unique index, so what one caller
did the other finds done. A job that fails is logged and the others run all the same.

To add a job, add a line to JOBS. Reading replies and bounces is not one: it calls Gmail
for every opted-in account, so it keeps its own, slower schedule (send_queued every 15
minutes, n8n's reply check workflow).
"""

import contextlib
import datetime
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from campaigns.ab_tests import variants
from campaigns.events import bounces
from campaigns.launching import blasts, queuing
from campaigns.n8n import watchdog
from campaigns.outbox import claims
from campaigns.reporting import stats
from campaigns.sequences import schedule
from crm.importing import jobs as import_jobs

log = logging.getLogger(__name__)
JOB_FAILED = "The periodic job %s failed (the other jobs ran)"


@dataclass(frozen=True)
class Job:
    """`run(now)` does the job's work and returns what it did: a count (or, for the sequence
    tick, its figures), kept under `name` in the result."""

    name: str
    run: Callable[[datetime.datetime], Any]


# In this order: a queuing taken over and a launch that starts are there for the claims and
# the tick that follow; the dispatches with nothing left are completed at the end.
JOBS: tuple[Job, ...] = (
    Job("queuings_taken_over", queuing.take_over_orphans),
    Job("scheduled_started", blasts.start_scheduled),
    Job("claims_expired", claims.expire_stale_claims),
    Job("ab_tests_decided", variants.decide_due),
    # n8n mode: a dispatch whose run was lost gets a new one (the database's clock decides).
    Job("runs_replaced", lambda now: watchdog.replace_lost_runs()),
    Job("sequence_tick", schedule.tick),
    # A soft bounce of a day ago goes back in the queue (campaigns/events/bounces.py).
    Job("soft_bounces_retried", bounces.retry_soft_bounces),
    Job("dispatches_finished", blasts.finish_dispatches),
    Job("stats_refreshed", stats.refresh_when_due),
    Job("imports_restarted", import_jobs.restart_orphans),
)


@dataclass
class PeriodicResult:
    """What each job returned, by its name, and the names of the jobs that failed."""

    done: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The jobs' counts by name (a failed job has none)."""
        return {name: value for name, value in self.done.items() if isinstance(value, int)}

    def count(self, name: str) -> int:
        return self.counts().get(name, 0)

    def tick(self) -> schedule.TickResult:
        """The sequence tick's figures; all zero if it failed."""
        return self.done.get("sequence_tick") or schedule.TickResult()


def run_periodic_jobs(
    now: datetime.datetime | None = None, jobs: Sequence[Job] = JOBS
) -> PeriodicResult:
    """Run every job, in order. One that raises is logged and named in `failed`; the others
    run all the same: this raises nothing for a job's failure."""
    now = now or claims.database_now()  # one clock: the database's, as every cutoff
    result = PeriodicResult()
    for job in jobs:
        try:
            with _own_savepoint():
                result.done[job.name] = job.run(now)
        except Exception:
            log.exception(JOB_FAILED, job.name)
            result.failed.append(job.name)
    return result


def _own_savepoint() -> contextlib.AbstractContextManager[Any]:
    """Within a caller's transaction, a job that fails in the database rolls back to its own
    savepoint, so the jobs after it can still query. Outside one, each job's writes commit
    as it goes: one transaction around a whole job would hold SQLite's write lock while it
    runs (a queuing taken over writes thousands of rows)."""
    if transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()
