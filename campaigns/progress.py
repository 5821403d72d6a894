"""A campaign's delivery progress, from the message log in one aggregate query."""

import datetime
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from campaigns.models import Campaign, MessageLog

Status = MessageLog.Status
SENT_OR_LATER = [
    Status.SENT,
    Status.DELIVERED,
    Status.OPENED,
    Status.CLICKED,
    Status.REPLIED,
    Status.BOUNCED,
    Status.UNSUBSCRIBED,
]
RATE_WINDOW = datetime.timedelta(minutes=5)


def _progress_counts(now: datetime.datetime) -> dict[str, Any]:
    return {
        "total": Count("pk"),
        "sent": Count("pk", filter=Q(status__in=SENT_OR_LATER)),
        "failed": Count("pk", filter=Q(status=Status.FAILED)),
        "waiting": Count("pk", filter=Q(status__in=[Status.QUEUED, Status.SENDING])),
        "skipped": Count("pk", filter=Q(status=Status.SKIPPED)),
        "cancelled": Count("pk", filter=Q(status=Status.CANCELLED)),
        "unknown": Count("pk", filter=Q(status=Status.UNKNOWN)),
        "recent": Count("pk", filter=Q(sent_at__gte=now - RATE_WINDOW)),
        "recent_since": Min("sent_at", filter=Q(sent_at__gte=now - RATE_WINDOW)),
    }


def campaign_progress(
    campaign: Campaign, counts: dict[str, Any] | None = None, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """Delivery so far; `counts` when the caller summed them already (progress_and_funnel)."""
    now = now or timezone.now()
    logs = MessageLog.objects.filter(campaign=campaign, is_test=False)
    counts = dict(counts or logs.aggregate(**_progress_counts(now)))
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


def progress_and_funnel(campaign: Campaign) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The campaign's progress, and its funnel: per step, its audience (messages made for
    it, and for a sequence the leads still waiting for it), then how many were sent,
    opened, clicked, replied, bounced, unsubscribed and failed. One read of the messages
    for both (the campaign page shows both; a second aggregate over a campaign's 50,000
    messages doubled the page's database time)."""
    from campaigns.models import Enrollment

    now = timezone.now()
    rows = {
        row["campaign_step"]: row
        for row in MessageLog.objects.filter(campaign=campaign, is_test=False)
        .values("campaign_step")
        .annotate(
            made=Count("pk", filter=~Q(status=Status.CANCELLED)),
            queued=Count("pk", filter=Q(status__in=[Status.QUEUED, Status.SENDING])),
            sent=Count("pk", filter=Q(status__in=SENT_OR_LATER)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            replied=Count("pk", filter=Q(replied_at__isnull=False) | Q(status=Status.REPLIED)),
            bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
            unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            **{f"progress_{name}": aggregate for name, aggregate in _progress_counts(now).items()},
        )
    }
    counts: dict[str, Any] = {name: 0 for name in _progress_counts(now)}
    counts["recent_since"] = min(
        (row["progress_recent_since"] for row in rows.values() if row["progress_recent_since"]),
        default=None,
    )
    for row in rows.values():
        for name in counts.keys() - {"recent_since"}:
            counts[name] += row[f"progress_{name}"]
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
    return campaign_progress(campaign, counts, now), funnel


def enrollment_counts(campaign: Campaign) -> dict[str, int]:
    from campaigns.models import Enrollment

    counts = dict(
        Enrollment.objects.filter(campaign=campaign).values_list("state").annotate(Count("pk"))
    )
    return {state: counts.get(state, 0) for state in Enrollment.State.values}
