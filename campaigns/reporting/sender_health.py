"""Is anything sending? The direct sender records a heartbeat as it goes round its loop;
a page that shows waiting messages warns when that heartbeat has gone quiet."""

import datetime
import time
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.launching.blasts import current_driver
from campaigns.models import Campaign, Dispatch, Enrollment, MessageLog, SenderHeartbeat
from crm.site.timezones import spoken_time

SENDER = "send_queued"
# The loop goes round every few seconds when idle; a minute of silence means it stopped.
SILENT_AFTER = datetime.timedelta(minutes=1)
# A heartbeat is one UPDATE, written at most this often however fast the loop turns.
BEAT_EVERY_SECONDS = 10.0
NOTHING_SENDING = _(
    "Nothing is sending right now: the sending service is not running. Ask whoever runs "
    "the server to start it (manage.py send_queued --loop)."
)
LAST_SEEN = _("It last ran {when}.")
NEVER_SEEN = _("It has not run yet.")


class Heartbeat:
    """The sender's pulse: `beat()` on every turn of the loop, written every few seconds."""

    def __init__(self, name: str = SENDER) -> None:
        self.name = name
        self.written = -BEAT_EVERY_SECONDS

    def beat(self, now: datetime.datetime | None = None) -> None:
        """`now`: the database's clock, when the caller read it (the sender does)."""
        if time.monotonic() - self.written < BEAT_EVERY_SECONDS:
            return
        now = now or timezone.now()
        if not SenderHeartbeat.objects.filter(pk=self.name).update(beat_at=now):
            SenderHeartbeat.objects.bulk_create(
                [SenderHeartbeat(name=self.name, beat_at=now)], ignore_conflicts=True
            )
        self.written = time.monotonic()


def last_beat(name: str = SENDER) -> datetime.datetime | None:
    return SenderHeartbeat.objects.filter(pk=name).values_list("beat_at", flat=True).first()


def waiting_for_sender(campaigns: Any = None, *, now: datetime.datetime | None = None) -> bool:
    """Whether work that only the direct sender does is waiting (for these campaigns, a
    queryset; all by default): queued messages it claims, scheduled launches whose time has
    come, and, when it is the driver, sequence steps that fell due. Messages of a running
    n8n dispatch are n8n's to send: they never count."""
    now = now or timezone.now()
    campaigns = Campaign.objects.all() if campaigns is None else campaigns
    live = campaigns.filter(status=Campaign.Status.ACTIVE)
    claimable = Q(dispatch__isnull=True) | Q(
        dispatch__status=Dispatch.Status.RUNNING, dispatch__driver=Dispatch.Driver.DIRECT
    )
    messages = MessageLog.objects.filter(
        campaign__in=live, status=MessageLog.Status.QUEUED, is_test=False
    )
    if messages.filter(claimable).exists():
        return True
    if Dispatch.objects.filter(
        campaign__in=live, status=Dispatch.Status.SCHEDULED, send_after__lte=now
    ).exists():
        return True
    if current_driver() != Dispatch.Driver.DIRECT:
        return False
    # The sender's loop runs the sequence tick (a periodic job) every few seconds: a step
    # due for a minute waits for a sender that is not there.
    return Enrollment.objects.filter(
        campaign__in=live.filter(type=Campaign.Type.SEQUENCE),
        state=Enrollment.State.ACTIVE,
        next_due_at__lte=now - SILENT_AFTER,
    ).exists()


def nothing_sending(campaigns: Any = None) -> str:
    """The warning for staff when work waits and the sender has been silent for a minute
    (these campaigns, a queryset; all by default); empty when all is well."""
    now = timezone.now()
    beat = last_beat()
    if beat is not None and now - beat < SILENT_AFTER:
        return ""
    if not waiting_for_sender(campaigns, now=now):
        return ""
    if beat is None:
        return f"{NOTHING_SENDING} {NEVER_SEEN}"
    return f"{NOTHING_SENDING} {LAST_SEEN.format(when=spoken_time(beat, now))}"
