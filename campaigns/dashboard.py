"""The admin home and each campaign's results: what was sent, how it went, what is running,
each account's use of its cap. Aggregate queries over the message log, scoped to the staff
member's organizations, each one bounded by an indexed date range or status."""

import datetime
import json
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils import timezone

from campaigns.models import Campaign, EmailAccount, MessageLog
from campaigns.progress import campaign_progress
from crm.tenancy import organizations_of

Status = MessageLog.Status
CHART_DAYS = 14
# The chart's series: a message counts on the day it was sent (its cohort), and in every
# series it reached since; failures count on the day they failed.
SERIES = [
    ("Sent", "sent"),
    ("Opened", "opened"),
    ("Clicked", "clicked"),
    ("Replied", "replied"),
    ("Bounced", "bounced"),
    ("Failed", "failed"),
]


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    organizations = organizations_of(request.user)
    logs = MessageLog.objects.filter(organization__in=organizations, is_test=False)
    now = timezone.now()
    day, week, month = (now - datetime.timedelta(days=n) for n in (1, 7, 30))
    counts = logs.filter(sent_at__gte=month).aggregate(
        sent_today=Count("pk", filter=Q(sent_at__gte=day)),
        sent_week=Count("pk", filter=Q(sent_at__gte=week)),
        sent_month=Count("pk"),
        **engagement_counts(),
    )
    failed = logs.filter(status=Status.FAILED, updated_at__gte=month).count()
    waiting = logs.filter(status__in=[Status.QUEUED, Status.SENDING]).count()
    sent = counts["sent_month"]
    context.update(
        kpis=[
            {"title": "Sent today", "value": f"{counts['sent_today']:,}"},
            {"title": "Sent, 7 days", "value": f"{counts['sent_week']:,}"},
            {"title": "Sent, 30 days", "value": f"{sent:,}"},
            {"title": "Waiting to send", "value": f"{waiting:,}"},
            {"title": "Failure rate, 30 days", "value": rate(failed, sent + failed)},
            {"title": "Open rate, 30 days", "value": rate(counts["opened"], counts["tracked"])},
            {
                "title": "Click rate, 30 days",
                "value": rate(counts["clicked"], counts["click_tracked"]),
            },
            {"title": "Reply rate, 30 days", "value": rate(counts["replied"], sent)},
            {"title": "Bounce rate, 30 days", "value": rate(counts["bounced"], sent)},
            {"title": "Unsubscribe rate, 30 days", "value": rate(counts["unsubscribed"], sent)},
        ],
        chart=json.dumps(daily_chart(logs, now)),
        running=[
            {"campaign": campaign, "progress": campaign_progress(campaign)}
            for campaign in Campaign.objects.filter(
                organization__in=organizations, status=Campaign.Status.ACTIVE
            ).order_by("-updated_at")[:8]
        ],
        accounts=_accounts(organizations, day),
        failures=logs.filter(status=Status.FAILED)
        .select_related("campaign")
        .order_by("-updated_at")[:8],
    )
    return context


def engagement_counts() -> dict[str, Count]:
    """What happened to sent messages. Open and click rates are over the messages of
    campaigns that tracked them, so untracked messages do not count as unopened."""
    return {
        "opened": Count("pk", filter=Q(opened_at__isnull=False, campaign__track_opens=True)),
        "tracked": Count("pk", filter=Q(campaign__track_opens=True)),
        "clicked": Count("pk", filter=Q(clicked_at__isnull=False, campaign__track_clicks=True)),
        "click_tracked": Count("pk", filter=Q(campaign__track_clicks=True)),
        "replied": Count("pk", filter=Q(replied_at__isnull=False)),
        "bounced": Count("pk", filter=Q(bounced_at__isnull=False)),
        "unsubscribed": Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    }


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def daily_chart(
    logs: QuerySet[MessageLog], now: datetime.datetime, days: int = CHART_DAYS
) -> dict[str, Any]:
    """Unfold's bar chart data: one bar group per day, one series per outcome."""
    start = timezone.localdate(now) - datetime.timedelta(days=days - 1)
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time()))
    by_day: dict[datetime.date, dict[str, int]] = {}
    for row in (
        logs.filter(sent_at__gte=since)
        .annotate(day=TruncDate("sent_at"))
        .values("day")
        .annotate(
            sent=Count("pk"),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            replied=Count("pk", filter=Q(replied_at__isnull=False)),
            bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        )
    ):
        by_day[row["day"]] = row
    for row in (
        logs.filter(status=Status.FAILED, updated_at__gte=since)
        .annotate(day=TruncDate("updated_at"))
        .values("day")
        .annotate(failed=Count("pk"))
    ):
        by_day.setdefault(row["day"], {})["failed"] = row["failed"]
    dates = [start + datetime.timedelta(days=n) for n in range(days)]
    return {
        "labels": [f"{d:%b} {d.day}" for d in dates],
        "datasets": [
            {"label": label, "data": [by_day.get(d, {}).get(key, 0) for d in dates]}
            for label, key in SERIES
        ],
    }


def failure_reasons(logs: QuerySet[MessageLog], limit: int = 5) -> list[dict[str, Any]]:
    """The most frequent reasons messages failed or bounced, with how many each."""
    return list(
        logs.filter(Q(status=Status.FAILED) | Q(bounced_at__isnull=False))
        .exclude(error_message="")
        .values("error_message")
        .annotate(count=Count("pk"))
        .order_by("-count", "error_message")[:limit]
    )


def campaign_results(campaign: Campaign) -> dict[str, Any]:
    """The campaign page: per-day chart since it started and its top failure reasons."""
    logs = MessageLog.objects.filter(campaign=campaign, is_test=False)
    now = timezone.now()
    first = logs.exclude(sent_at=None).order_by("sent_at").values_list("sent_at", flat=True)[:1]
    days = CHART_DAYS
    if first:
        days = max(CHART_DAYS, min(90, (now - first[0]).days + 1))
    return {
        "chart": json.dumps(daily_chart(logs, now, days)),
        "chart_days": days,
        "reasons": failure_reasons(logs),
    }


def _accounts(organizations: Any, since: datetime.datetime) -> list[dict[str, Any]]:
    accounts = list(
        EmailAccount.objects.filter(organization__in=organizations, is_active=True).order_by(
            "email_address"
        )
    )
    used = dict(
        MessageLog.objects.filter(email_account__in=accounts, sent_at__gte=since)
        .values_list("email_account")
        .annotate(Count("pk"))
    )
    return [
        {
            "account": account,
            "used": used.get(account.pk, 0),
            "percent": min(100, round(100 * used.get(account.pk, 0) / max(account.daily_limit, 1))),
        }
        for account in accounts
    ]
