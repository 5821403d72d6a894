"""A campaign's delivery progress and per-step results, from one grouped query over the
message log."""

import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import FUNNEL, SETTLED, WAITING, Campaign, Dispatch, MessageLog
from campaigns.outbox import failures
from campaigns.sequences.outlook import Outlook, sequence_outlook

Status = MessageLog.Status
RATE_WINDOW = datetime.timedelta(minutes=5)
MIN_FOR_RATE = 3


def counts_by_step(campaign: Campaign) -> dict[Any, dict[str, Any]]:
    """Every count the campaign page shows, per step, in one grouped query over the log:
    the delivery line sums them, the per-step table shows them, so the two always agree."""
    now = timezone.now()
    rows = MessageLog.objects.filter(campaign=campaign, is_test=False).funnel_by(
        "campaign_step",
        stages=SETTLED,
        total=Count("pk"),
        made=Count("pk", filter=~Q(status=Status.CANCELLED)),
        waiting=Count("pk", filter=Q(status__in=WAITING)),
        cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
        unknown=Count("pk", filter=Q(status=Status.UNKNOWN)),
        recent=Count("pk", filter=Q(sent_at__gte=now - RATE_WINDOW)),
        recent_since=Min("sent_at", filter=Q(sent_at__gte=now - RATE_WINDOW)),
        last_sent=Max("sent_at"),
    )
    return {row.pop("campaign_step"): row for row in rows}


DELIVERY = ("total", "sent", "failed", "waiting", "skipped", "cancelled", "unknown")


def campaign_progress(
    campaign: Campaign, by_step: dict[Any, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The delivery line: how many were sent, failed, wait; the rate and the finish."""
    now = timezone.now()
    rows = list((counts_by_step(campaign) if by_step is None else by_step).values())
    counts = {key: sum(row[key] for row in rows) for key in DELIVERY}
    total = counts["total"]
    # The rate over the recent sends only (a blast that started a minute ago is not
    # averaged over five), from the first of them until now (a sender that stopped slows
    # it down); unknown until a few have gone out.
    recent = sum(row["recent"] for row in rows)
    since = min((row["recent_since"] for row in rows if row["recent_since"]), default=None)
    per_minute = 0.0
    if since and recent >= MIN_FOR_RATE:
        elapsed = max((now - since).total_seconds(), 1.0)
        per_minute = (recent - 1) * 60 / elapsed
    done = total - counts["waiting"]
    eta = None
    if counts["waiting"] and per_minute:
        eta = now + datetime.timedelta(minutes=counts["waiting"] / per_minute)
    # A launch still queuing its audience in the background: how many leads it counted.
    queuing = Dispatch.objects.filter(campaign=campaign, queuing=True).aggregate(
        leads=Sum("total")
    )["leads"]
    errors = list(
        MessageLog.objects.filter(campaign=campaign, is_test=False, status=Status.FAILED)
        .order_by("-updated_at")
        .values("to_email", "error_message", "updated_at")[:5]
    )
    return {
        **counts,
        "percent": round(100 * done / total, 1) if total else 0,
        "per_minute": round(per_minute, 1),
        "eta": _remaining(eta - now) if eta else None,
        "last_sent": max((row["last_sent"] for row in rows if row["last_sent"]), default=None),
        "errors": [
            {
                "to": e["to_email"],
                "error": failures.in_words(e["error_message"]),
                "at": e["updated_at"].isoformat(),
            }
            for e in errors
        ],
        "status": campaign.status,
        "queuing": bool(queuing),
        "queuing_audience": queuing or 0,
    }


def _remaining(left: datetime.timedelta) -> str:
    minutes = left.total_seconds() / 60
    if minutes < 1:
        return str(_("in less than a minute"))
    if minutes < 90:
        return _("in about {minutes} min").format(minutes=round(minutes))
    if minutes < 48 * 60:
        return _("in about {hours} h").format(hours=round(minutes / 60))
    return _("in about {days} days").format(days=round(minutes / 1440))


# A step's row: every stage of the funnel but skipped (never sent: the delivery line has it).
STEP_ROW = tuple(stage for stage in FUNNEL if stage != "skipped")


def step_funnel(
    campaign: Campaign,
    by_step: dict[Any, dict[str, Any]] | None = None,
    outlook: Outlook | None = None,
) -> list[dict[str, Any]]:
    """Per step: its audience (messages made for it, and for a sequence the leads still
    waiting for it), then how many were sent, opened, clicked, replied, bounced,
    unsubscribed and failed. `by_step` and `outlook` when the caller has them already."""
    rows = counts_by_step(campaign) if by_step is None else by_step
    waiting: dict[int, int] = {}
    if campaign.type == Campaign.Type.SEQUENCE:
        # The leads whose next step this is: the count the sequence's line names, too.
        waiting = dict((outlook or sequence_outlook(campaign)).due_by_step)
    funnel = []
    for step in campaign.steps.order_by("order"):
        row = rows.get(step.pk, {})
        # "Queued" is what waits to be sent: the delivery line's "Waiting", step by step.
        row = {**row, "queued": row.get("waiting", 0)}
        funnel.append(
            {
                "step": step,
                "waiting": waiting.get(step.order, 0),
                "audience": row.get("made", 0) + waiting.get(step.order, 0),
                **{key: row.get(key, 0) for key in STEP_ROW},
            }
        )
    return funnel
