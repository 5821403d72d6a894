"""What a running sequence still has to send: its active leads, the step each of them gets
next (counted by step, as the per-step table's Waiting), and when the first goes. One
grouped query over its enrollments."""

import datetime
from dataclasses import dataclass

from babel.dates import format_skeleton
from django.db.models import Count, Min
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext, to_locale
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Enrollment
from campaigns.sequences.schedule import active_steps
from crm.site.numbers import grouped

HELD = _("held while paused")
NOBODY_WAITING = _("No lead is waiting for a step.")
OF_STEP = _("{count} of step {order}")
NEXT_DUE_NOW = _("the next due now")
NEXT_ON = _("next on {moment}")


@dataclass(frozen=True)
class Outlook:
    active: int
    completed: int
    stopped: int
    # (step number, active leads whose next step it is), in step order, zeros left out.
    due_by_step: list[tuple[int, int]]
    next_at: datetime.datetime | None

    @property
    def due(self) -> int:
        return sum(count for _order, count in self.due_by_step)

    @property
    def percent_through(self) -> float:
        """The share of enrolled leads who are through: completed or stopped."""
        enrolled = self.active + self.completed + self.stopped
        return round(100 * (self.completed + self.stopped) / enrolled, 1) if enrolled else 0

    def text(self, *, paused: bool = False, now: datetime.datetime | None = None) -> str:
        """ "35 active, 35 steps still due (18 of step 2, 17 of step 3), next on Dec 3,
        09:00": each active lead's next step, and when the first of them goes (in the
        viewer's zone)."""
        if not self.active:
            return str(NOBODY_WAITING)
        active = ngettext("%(n)s active", "%(n)s active", self.active) % {"n": grouped(self.active)}
        due = ngettext("%(n)s step still due", "%(n)s steps still due", self.due) % {
            "n": grouped(self.due)
        }
        parts = ", ".join(
            OF_STEP.format(count=grouped(count), order=order) for order, count in self.due_by_step
        )
        return f"{active}, {due} ({parts}), {self._next(paused, now or timezone.now())}"

    def _next(self, paused: bool, now: datetime.datetime) -> str:
        if paused:
            return str(HELD)
        if self.next_at is None or self.next_at <= now:
            return str(NEXT_DUE_NOW)
        local = timezone.localtime(self.next_at)
        day = format_skeleton("MMMd", local.date(), locale=to_locale(get_language() or "en"))
        return NEXT_ON.format(moment=f"{day}, {formats.time_format(local, 'TIME_FORMAT')}")


def sequence_outlook(campaign: Campaign) -> Outlook:
    rows = (
        Enrollment.objects.filter(campaign=campaign)
        .values("state", "next_order")
        .annotate(leads=Count("pk"), next_at=Min("next_due_at"))
    )
    by_state = dict.fromkeys(Enrollment.State.values, 0)
    at_order: dict[int, int] = {}
    next_at = None
    for row in rows:
        by_state[row["state"]] += row["leads"]
        if row["state"] == Enrollment.State.ACTIVE:
            at_order[row["next_order"]] = at_order.get(row["next_order"], 0) + row["leads"]
            if row["next_at"] and (next_at is None or row["next_at"] < next_at):
                next_at = row["next_at"]
    # Each active lead's next step: the first active one at or after its place (a step
    # made inactive since is skipped, as the tick skips it).
    steps = active_steps(campaign)
    due: dict[int, int] = {}
    for order, leads in at_order.items():
        step = next((step for step in steps if step.order >= order), None)
        if step is not None:
            due[step.order] = due.get(step.order, 0) + leads
    due_by_step = sorted(due.items())
    return Outlook(
        active=by_state[Enrollment.State.ACTIVE],
        completed=by_state[Enrollment.State.COMPLETED],
        stopped=by_state[Enrollment.State.STOPPED],
        due_by_step=due_by_step,
        next_at=next_at,
    )
