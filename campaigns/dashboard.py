"""The admin home: what was sent, how it went, what is running, and each account's cap —
aggregate queries over the message log, scoped to the staff member's organizations."""

import datetime
import json
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils import timezone

from campaigns.models import Campaign, EmailAccount, MessageLog
from campaigns.progress import SENT_OR_LATER, campaign_progress
from crm.models import SuppressedAddress
from crm.tenancy import organizations_of

Status = MessageLog.Status
CHART_DAYS = 14


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    organizations = organizations_of(request.user)
    logs = MessageLog.objects.filter(organization__in=organizations, is_test=False)
    now = timezone.now()
    day, week, month = (now - datetime.timedelta(days=n) for n in (1, 7, 30))
    counts = logs.filter(created_at__gte=month).aggregate(
        sent_today=Count("pk", filter=Q(sent_at__gte=day)),
        sent_week=Count("pk", filter=Q(sent_at__gte=week)),
        sent_month=Count("pk", filter=Q(sent_at__gte=month)),
        failed_month=Count("pk", filter=Q(status=Status.FAILED)),
        bounced_month=Count("pk", filter=Q(status=Status.BOUNCED)),
        waiting=Count("pk", filter=Q(status__in=[Status.QUEUED, Status.SENDING])),
        # Rates over the messages of campaigns that track them, so untracked ones do not
        # count as unopened.
        tracked_opens=Count("pk", filter=Q(sent_at__gte=month, campaign__track_opens=True)),
        opened=Count("pk", filter=Q(opened_at__isnull=False, campaign__track_opens=True)),
        tracked_clicks=Count("pk", filter=Q(sent_at__gte=month, campaign__track_clicks=True)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False, campaign__track_clicks=True)),
    )
    attempted = counts["sent_month"] + counts["failed_month"]
    unsubscribed = SuppressedAddress.objects.filter(
        organization__in=organizations,
        reason=SuppressedAddress.Reason.UNSUBSCRIBED,
        created_at__gte=month,
    ).count()
    context.update(
        kpis=[
            {"title": "Sent today", "value": f"{counts['sent_today']:,}"},
            {"title": "Sent, 7 days", "value": f"{counts['sent_week']:,}"},
            {"title": "Sent, 30 days", "value": f"{counts['sent_month']:,}"},
            {"title": "Waiting to send", "value": f"{counts['waiting']:,}"},
            {
                "title": "Open rate, 30 days",
                "value": _rate(counts["opened"], counts["tracked_opens"]),
            },
            {
                "title": "Click rate, 30 days",
                "value": _rate(counts["clicked"], counts["tracked_clicks"]),
            },
            {"title": "Failure rate, 30 days", "value": _rate(counts["failed_month"], attempted)},
            {
                "title": "Bounce rate, 30 days",
                "value": _rate(counts["bounced_month"], counts["sent_month"]),
            },
            {"title": "Unsubscribed, 30 days", "value": f"{unsubscribed:,}"},
        ],
        chart=json.dumps(_per_day(logs, now)),
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


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _per_day(logs: Any, now: datetime.datetime) -> dict[str, Any]:
    start = (now - datetime.timedelta(days=CHART_DAYS - 1)).date()
    rows = (
        logs.filter(sent_at__date__gte=start)
        .annotate(day=TruncDate("sent_at"))
        .values("day")
        .annotate(
            sent=Count("pk", filter=Q(status__in=SENT_OR_LATER)),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
        )
    )
    by_day = {row["day"]: row for row in rows}
    days = [start + datetime.timedelta(days=n) for n in range(CHART_DAYS)]
    return {
        "labels": [f"{d:%b} {d.day}" for d in days],
        "datasets": [
            {"label": "Sent", "data": [by_day.get(d, {}).get("sent", 0) for d in days]},
            {"label": "Failed", "data": [by_day.get(d, {}).get("failed", 0) for d in days]},
        ],
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
