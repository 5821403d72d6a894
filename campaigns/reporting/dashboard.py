"""The admin home and each campaign's results: what was sent, how it went, what is running,
each account's use of its cap. Aggregate queries over the message log, scoped to the staff
member's organizations, each one bounded by an indexed date range or status."""

import datetime
from typing import Any, TypedDict

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from campaigns.listing_alerts import triggers
from campaigns.models import Campaign, EmailAccount, LinkClick, MessageLog, MessageLogQuerySet
from campaigns.outbox import failures
from campaigns.reporting import charts, checklist, links, sender_health, stats
from campaigns.reporting.progress import campaign_progress
from crm.site import navigation
from crm.site.tenancy import organization_ids

Status = MessageLog.Status
CHART_DAYS = 14
REASONS_SHOWN = 5
LINKS_SHOWN = 50
ALERTS_SHOWN = 10


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    organizations = organization_ids(request)
    logs = MessageLog.objects.filter(organization__in=organizations, is_test=False)
    now = timezone.now()
    today = stats.today(now)
    figures = stats.figures(organizations, now, days=30)
    week, month = (today - datetime.timedelta(days=n - 1) for n in (7, 30))
    sent, failed = figures.total("sent", month), figures.total("failed", month)
    opens, clicks = figures.tracked("track_opens"), figures.tracked("track_clicks")
    waiting = logs.waiting().count()
    context.update(
        title=navigation.home_title(request),
        checklists=checklist.checklists(request),
        listing_alerts=[
            {
                "summary": triggers.summary(alert),
                "url": reverse("admin:campaigns_listingalert_change", args=[alert.pk]),
            }
            for alert in triggers.pending(organizations)[:ALERTS_SHOWN]
        ],
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
        chart=charts.outcomes_by_day(figures.by_day, today, CHART_DAYS),
        chart_empty=not any(
            figures.total(name, today - datetime.timedelta(days=CHART_DAYS - 1))
            for name in ("sent", "failed")
        ),
        chart_options=charts.OUTCOMES_BY_DAY_OPTIONS,
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


def daily_chart(logs: MessageLogQuerySet, now: datetime.datetime, days: int = CHART_DAYS) -> str:
    """The chart of these messages, counted live: one bar a day, stacked by outcome."""
    today = stats.today(now)
    start = today - datetime.timedelta(days=days - 1)
    by_day: dict[datetime.date, dict[str, int]] = {}
    for (_, _, day), counts in stats.count_by_campaign_day(logs, stats.day_start(start)).items():
        totals = by_day.setdefault(day, dict.fromkeys(stats.FIGURES, 0))
        for name, value in counts.items():
            totals[name] += value
    return charts.outcomes_by_day(by_day, today, days)


def failure_reasons(logs: QuerySet[MessageLog], limit: int = REASONS_SHOWN) -> list[dict[str, Any]]:
    """The most frequent reasons messages failed or bounced, in words, with how many each
    (several raw reasons can say the same thing) and the raw texts behind each."""
    raw = (
        logs.filter(Q(status=Status.FAILED) | Q(bounced_at__isnull=False))
        .exclude(error_message="")
        .values("error_message")
        .annotate(count=Count("pk"))
        .order_by("-count", "error_message")[: limit * 10]
    )
    reasons: dict[str, dict[str, Any]] = {}
    for row in raw:
        words = failures.in_words(row["error_message"])
        reason = reasons.setdefault(words, {"words": words, "count": 0, "raw": []})
        reason["count"] += row["count"]
        reason["raw"].append(row["error_message"])
    return sorted(reasons.values(), key=lambda reason: (-reason["count"], reason["words"]))[:limit]


class LinkClicks(TypedDict):
    url: str
    clicks: int
    leads: int


def clicks_per_link(campaign: Campaign, limit: int = LINKS_SHOWN) -> list[LinkClicks]:
    """How many clicks each link of the campaign got, and from how many leads."""
    return list(
        LinkClick.objects.filter(campaign=campaign, message__is_test=False)
        .values("url")
        .annotate(clicks=Count("pk"), leads=Count("message__lead", distinct=True))
        .order_by("-clicks", "url")[:limit]
    )


def campaign_results(campaign: Campaign, funnel: list[dict[str, Any]]) -> dict[str, Any]:
    """The campaign page's results: the messages per day since it started, the funnel of
    each step (from its per-step results), the top failure reasons and the clicks per link."""
    logs = MessageLog.objects.filter(campaign=campaign, is_test=False)
    now = timezone.now()
    first = logs.exclude(sent_at=None).order_by("sent_at").values_list("sent_at", flat=True).first()
    days = CHART_DAYS
    if first:
        days = max(CHART_DAYS, min(90, (now - first).days + 1))
    return {
        "chart": daily_chart(logs, now, days),
        "chart_options": charts.OUTCOMES_BY_DAY_OPTIONS,
        "chart_days": days,
        "funnel_chart": charts.funnel(
            funnel, opens=campaign.track_opens, clicks=campaign.track_clicks
        ),
        "funnel_options": charts.FUNNEL_OPTIONS,
        "funnel_height": charts.funnel_height(len(funnel)),
        # Each count leads to the messages it counts: who failed and why, who clicked what.
        "reasons": [
            {**reason, "url": links.messages_url(campaign, why=reason["words"])}
            for reason in failure_reasons(logs)
        ],
        "links": [
            {**link, "messages": links.messages_url(campaign, link=link["url"])}
            for link in clicks_per_link(campaign)
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
