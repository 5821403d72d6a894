"""A campaign's delivery progress, from the message log in one aggregate query."""

import datetime
from typing import Any

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from campaigns.models import Campaign, Dispatch, Enrollment, MessageLog

Status = MessageLog.Status
RATE_WINDOW = datetime.timedelta(minutes=5)


def campaign_progress(campaign: Campaign) -> dict[str, Any]:
    now = timezone.now()
    logs = MessageLog.objects.filter(campaign=campaign, is_test=False)
    counts = logs.funnel(
        "sent",
        "failed",
        "skipped",
        total=Count("pk"),
        waiting=Count("pk", filter=Q(status__in=[Status.QUEUED, Status.SENDING])),
        cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
        unknown=Count("pk", filter=Q(status=Status.UNKNOWN)),
        recent=Count("pk", filter=Q(sent_at__gte=now - RATE_WINDOW)),
        recent_since=Min("sent_at", filter=Q(sent_at__gte=now - RATE_WINDOW)),
    )
    total = counts["total"] or 0
    # The rate over the recent sends only: a blast that started a minute ago is not
    # averaged over five.
    recent, since = counts.pop("recent"), counts.pop("recent_since")
    elapsed = max((now - since).total_seconds(), 10.0) if since else 0.0
    per_minute = recent * 60 / elapsed if elapsed else 0.0
    done = total - counts["waiting"]
    eta = None
    if counts["waiting"] and per_minute:
        eta = now + datetime.timedelta(minutes=counts["waiting"] / per_minute)
    # A launch still queuing its audience in the background: how many leads it counted.
    queuing = Dispatch.objects.filter(campaign=campaign, queuing=True).aggregate(
        leads=Sum("total")
    )["leads"]
    errors = list(
        logs.filter(status=Status.FAILED)
        .order_by("-updated_at")
        .values("to_email", "error_message", "updated_at")[:5]
    )
    return {
        **counts,
        "percent": round(100 * done / total, 1) if total else 0,
        "per_minute": round(per_minute, 1),
        "eta": _remaining(eta - now) if eta else None,
        "errors": [
            {"to": e["to_email"], "error": e["error_message"], "at": e["updated_at"].isoformat()}
            for e in errors
        ],
        "status": campaign.status,
        "queuing": bool(queuing),
        "queuing_audience": queuing or 0,
    }


def _remaining(left: datetime.timedelta) -> str:
    minutes = left.total_seconds() / 60
    if minutes < 1:
        return "in less than a minute"
    if minutes < 90:
        return f"in about {round(minutes)} min"
    if minutes < 48 * 60:
        return f"in about {round(minutes / 60)} h"
    return f"in about {round(minutes / 1440)} days"


FUNNEL = ("queued", "sent", "opened", "clicked", "replied", "bounced", "unsubscribed", "failed")


def step_funnel(campaign: Campaign) -> list[dict[str, Any]]:
    """Per step: its audience (messages made for it, and for a sequence the leads still
    waiting for it), then how many were sent, opened, clicked, replied, bounced,
    unsubscribed and failed."""
    rows = {
        row["campaign_step"]: row
        for row in MessageLog.objects.filter(campaign=campaign, is_test=False).funnel_by(
            "campaign_step", stages=FUNNEL, made=Count("pk", filter=~Q(status=Status.CANCELLED))
        )
    }
    waiting = {}
    if campaign.type == Campaign.Type.SEQUENCE:
        waiting = dict(
            Enrollment.objects.filter(campaign=campaign, state=Enrollment.State.ACTIVE)
            .values_list("next_order")
            .annotate(Count("pk"))
        )
    funnel = []
    for step in campaign.steps.order_by("order"):
        row = rows.get(step.pk, {})
        funnel.append(
            {
                "step": step,
                "waiting": waiting.get(step.order, 0),
                "audience": row.get("made", 0) + waiting.get(step.order, 0),
                **{key: row.get(key, 0) for key in FUNNEL},
            }
        )
    return funnel


def enrollment_counts(campaign: Campaign) -> dict[str, int]:
    counts = dict(
        Enrollment.objects.filter(campaign=campaign).values_list("state").annotate(Count("pk"))
    )
    return {state: counts.get(state, 0) for state in Enrollment.State.values}
