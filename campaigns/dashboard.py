"""The admin home and each campaign's results: what was sent, how it went, what is running,
each account's use of its cap. Aggregate queries over the message log, scoped to the staff
member's organizations, each one bounded by an indexed date range or status."""

import datetime
import json
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from campaigns import sender_health, stats
from campaigns.models import Campaign, EmailAccount, MessageLog
from campaigns.progress import campaign_progress
from crm import navigation
from crm.tenancy import organization_ids

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
    organizations = organization_ids(request)
    logs = MessageLog.objects.filter(organization__in=organizations, is_test=False)
    now = timezone.now()
    today = stats.today(now)
    figures = stats.figures(organizations, now, days=30)
    week, month = (today - datetime.timedelta(days=n - 1) for n in (7, 30))
    sent, failed = figures.total("sent", month), figures.total("failed", month)
    opens, clicks = figures.tracked("track_opens"), figures.tracked("track_clicks")
    waiting = logs.filter(status__in=[Status.QUEUED, Status.SENDING]).count()
    context.update(
        title=navigation.home_title(request),
        sender_warning=sender_health.nothing_sending(
            Campaign.objects.filter(organization__in=organizations)
        ),
        kpis=[
            {"title": "Sent today", "value": f"{figures.total('sent', today):,}"},
            {"title": "Sent, 7 days", "value": f"{figures.total('sent', week):,}"},
            {"title": "Sent, 30 days", "value": f"{sent:,}"},
            {"title": "Waiting to send", "value": f"{waiting:,}"},
            {"title": "Failure rate, 30 days", "value": rate(failed, sent + failed)},
            {
                "title": "Open rate, 30 days",
                "value": rate(figures.over(opens, "opened"), figures.over(opens, "sent")),
            },
            {
                "title": "Click rate, 30 days",
                "value": rate(figures.over(clicks, "clicked"), figures.over(clicks, "sent")),
            },
            *(
                {
                    "title": f"{title} rate, 30 days",
                    "value": rate(figures.total(name, month), sent),
                }
                for title, name in (
                    ("Reply", "replied"),
                    ("Bounce", "bounced"),
                    ("Unsubscribe", "unsubscribed"),
                )
            ),
        ],
        chart=json.dumps(chart(figures.by_day, today, CHART_DAYS)),
        figures_as_of=figures.refreshed_at,
        running=[
            {"campaign": campaign, "progress": campaign_progress(campaign)}
            for campaign in Campaign.objects.filter(
                organization__in=organizations, status=Campaign.Status.ACTIVE
            ).order_by("-updated_at")[:8]
        ],
        accounts=_accounts(organizations, now - datetime.timedelta(days=1)),
        failures=logs.filter(status=Status.FAILED)
        .select_related("campaign")
        .order_by("-updated_at")[:8],
    )
    return context


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def daily_chart(
    logs: QuerySet[MessageLog], now: datetime.datetime, days: int = CHART_DAYS
) -> dict[str, Any]:
    """Unfold's bar chart data for these messages: one bar group per day, one series per
    outcome, counted live."""
    today = stats.today(now)
    start = today - datetime.timedelta(days=days - 1)
    by_day: dict[datetime.date, dict[str, int]] = {}
    for (_, _, day), counts in stats.count_by_campaign_day(logs, stats.day_start(start)).items():
        totals = by_day.setdefault(day, dict.fromkeys(stats.FIGURES, 0))
        for name, value in counts.items():
            totals[name] += value
    return chart(by_day, today, days)


def chart(by_day: dict[datetime.date, dict[str, int]], today: datetime.date, days: int) -> dict:
    dates = [today - datetime.timedelta(days=n) for n in range(days - 1, -1, -1)]
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
