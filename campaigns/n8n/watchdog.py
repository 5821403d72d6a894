"""Runs are replaced: an n8n run can be lost (its worker killed, Redis restarted empty, the
call that starts it refused while n8n's main process is down, a run that stopped on a pause
whose campaign was since resumed) and nothing in n8n starts another. The watchdog, one of
the periodic jobs, asks n8n for a new run of every running n8n dispatch that has messages
to send and no run claiming them. Claims are exclusive, so a run started while an old one
still lives cannot send a message twice: the two share the queue.

Each claim tells Django when the run will claim next at the latest (`Dispatch.run_due_by`:
now, plus any wait the claim asked for, plus N8N_WATCHDOG_MINUTES); a failed call to n8n,
or a run told that its campaign is paused, leaves none expected.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Now

from campaigns import n8n
from campaigns.models import Campaign, Dispatch, MessageLog

log = logging.getLogger(__name__)
# A dispatch just launched is being handed to n8n by its launch: left to it this long.
LAUNCH_GRACE = timedelta(seconds=30)


def runs_needed() -> Any:
    """Running n8n dispatches of active campaigns with messages to send (or still being
    queued) whose run is lost: none expected, or past the time it should have claimed."""
    waiting = MessageLog.objects.filter(dispatch=OuterRef("pk"), status=MessageLog.Status.QUEUED)
    # None expected: n8n was told and the call failed or the run stopped (runs_started), or
    # a launch that has not told it yet is older than the grace.
    none_expected = Q(runs_started__gt=0) | Q(created_at__lt=Now() - LAUNCH_GRACE)
    lost = Q(run_due_by__lt=Now()) | (Q(run_due_by__isnull=True) & none_expected)
    return (
        Dispatch.objects.filter(
            driver=Dispatch.Driver.N8N,
            status=Dispatch.Status.RUNNING,
            campaign__status=Campaign.Status.ACTIVE,
        )
        .filter(Q(Exists(waiting)) | Q(queuing=True))
        .filter(lost)
    )


def replace_lost_runs() -> int:
    """Ask n8n for a new run of each dispatch in runs_needed(); returns how many were
    asked for. Each is taken first by a conditional UPDATE, so two periodic drivers
    running at once ask once."""
    if not settings.N8N_BASE_URL:
        return 0
    started = 0
    for pk, due_by in runs_needed().values_list("pk", "run_due_by"):
        if not Dispatch.objects.filter(pk=pk, run_due_by=due_by).update(
            run_due_by=Now() + n8n.silence()
        ):
            continue  # another process took it, or a run just claimed
        log.warning("dispatch %s: no n8n run has claimed its messages; asking for a new one", pk)
        # One attempt: the next pass of the periodic jobs is the retry (a driver waiting on
        # n8n's backoff would not send meanwhile).
        started += n8n.notify(pk, again=True, attempts=1)
    return started
