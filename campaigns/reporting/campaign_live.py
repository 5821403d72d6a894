"""Everything on a campaign's page that changes while it sends, as one dict: the page is
rendered from it, and progress.json serves it again every few seconds, so every number on
the page (delivery, the per-step table, the charts, what is still to come, the actions
offered) comes from the same poll and never disagrees with another."""

import json
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.ab_tests.ab_test_page import ab_test_live
from campaigns.audiences import audience
from campaigns.models import Campaign, Dispatch, MessageLog
from campaigns.outbox import failures
from campaigns.reporting import dashboard, links, sender_health
from campaigns.reporting.planner import forecast
from campaigns.reporting.progress import campaign_progress, counts_by_step, step_funnel
from campaigns.sequences.outlook import sequence_outlook
from crm.site.timezones import spoken_time

POLL_SECONDS = 3
PLAN_EVERY = 30  # seconds
# The page's live charts: their name on the page (data-live-chart) and where their data is
# in dashboard.campaign_results.
LIVE_CHARTS = {"daily": "chart", "funnel": "funnel_chart"}
# The page's buttons: the lifecycle's actions staff take (completing is the system's), offered
# when the campaign's status allows them (Campaign.LIFECYCLE); then those always there.
BUTTONS = ["launch", "pause", "resume", "cancel"]
ALWAYS = ["preview", "duplicate"]
# A finished campaign is archived (hidden from the lists, kept), never deleted.
KEEPING = ["archive", "unarchive"]
# Actions that stop sending: a blast with nothing left to send has nothing to stop.
STOPPING = {"pause", "cancel"}
SEQUENCE_CANCELLED = "Cancelled: no more steps are sent."


def available_actions(campaign: Campaign, waiting: int) -> list[str]:
    """The actions that mean something now: those the campaign's status allows, but
    nothing to pause or cancel in a blast with nothing left to send (it is finished, or
    about to be marked so)."""
    # A sequence, or a listing alert campaign (it listens), goes on with nothing waiting.
    still_sending = campaign.type != Campaign.Type.BLAST or waiting > 0
    allowed = [
        action
        for action in BUTTONS
        if campaign.allows(action) and (still_sending or action not in STOPPING)
    ]
    if campaign.archived_at is not None:
        allowed.append("unarchive")
    elif campaign.status == Campaign.Status.COMPLETED:
        allowed.append("archive")
    return [*allowed, *ALWAYS]


def waiting_count(campaign: Campaign) -> int:
    return MessageLog.objects.filter(campaign=campaign, is_test=False).waiting().count()


def campaign_live(campaign: Campaign) -> dict[str, Any]:
    """The page's changing figures (progress.json)."""
    return campaign_page(campaign)[0]


def campaign_page(campaign: Campaign) -> tuple[dict[str, Any], dict[str, Any]]:
    """The page's changing figures, and the results its charts are drawn from: the log is
    counted per step once for both, and a sequence's enrollments once for its line and its
    per-step Waiting."""
    is_sequence = campaign.type == Campaign.Type.SEQUENCE
    outlook = sequence_outlook(campaign) if is_sequence else None
    by_step = counts_by_step(campaign)
    progress = campaign_progress(campaign, by_step)
    funnel = step_funnel(campaign, by_step, outlook)
    results = dashboard.campaign_results(campaign, funnel)
    warning = ""
    if campaign.status == Campaign.Status.ACTIVE:
        warning = sender_health.nothing_sending(Campaign.objects.filter(pk=campaign.pk))
    live: dict[str, Any] = {
        **progress,
        "status_label": campaign.get_status_display(),
        "live": campaign.status in Campaign.LIVE,
        "actions": available_actions(campaign, progress["waiting"]),
        "sender_warning": warning,
        "funnel": [_funnel_row(campaign, row) for row in funnel],
        # Each count of the delivery line leads to the messages it counts.
        "links": {
            "sent": links.messages_url(campaign, outcome="sent"),
            "failed": links.messages_url(campaign, outcome="failed"),
            "waiting": links.messages_url(campaign, outcome="queued"),
            "skipped": links.messages_url(campaign, outcome="skipped"),
            "cancelled": links.messages_url(campaign, status=MessageLog.Status.CANCELLED),
            "unknown": links.messages_url(campaign, status=MessageLog.Status.UNKNOWN),
            "total": links.messages_url(campaign),
        },
        "skipped_reasons": skipped_reasons(campaign),
        "charts": {name: json.loads(results[key]) for name, key in LIVE_CHARTS.items()},
        # The reasons in words; the exact words stay on the page, for the superuser.
        "reasons": [
            {"words": reason["words"], "count": reason["count"], "url": reason["url"]}
            for reason in results["reasons"]
        ],
        "sequence": None,
        # When it finishes, sharing its account(s) with the other campaigns (planner).
        "plan": None,
        "ab_test": None,
    }
    if live["live"]:
        live["plan"] = planned_finish(campaign)
    if outlook is not None:
        live["sequence"] = {
            "active": outlook.active,
            "completed": outlook.completed,
            "stopped": outlook.stopped,
            "due": outlook.due,
            "text": outlook.text(paused=campaign.status == Campaign.Status.PAUSED),
        }
        live["bar_percent"] = outlook.percent_through
        live["state_line"] = live["sequence"]["text"]
        if campaign.status == Campaign.Status.COMPLETED:
            live["state_line"] = SEQUENCE_CANCELLED  # a sequence ends only by a cancel
    else:
        live["bar_percent"] = progress["percent"]
        live["state_line"] = _blast_line(campaign, progress, warning)
        live["ab_test"] = ab_test_live(campaign)
        if live["ab_test"] and live["ab_test"]["state"] == "waiting" and not warning:
            live["state_line"] = live["ab_test"]["line"]  # nothing is sent until the winner
    return live, results


# The per-step table's columns after the step (and a sequence's day and waiting leads).
FUNNEL_COLUMNS = [
    ("audience", _("Audience")),
    ("queued", _("Queued")),
    ("sent", _("Sent")),
    ("opened", _("Opened")),
    ("clicked", _("Clicked")),
    ("replied", _("Replied")),
    ("bounced", _("Bounced")),
    ("unsubscribed", _("Unsubscribed")),
    ("failed", _("Failed")),
]
# A step's counts and the messages each leads to (its "Queued" is what waits to be sent).
STEP_OUTCOMES = {
    "queued": "queued",
    "sent": "sent",
    "opened": "opened",
    "clicked": "clicked",
    "replied": "replied",
    "bounced": "bounced",
    "unsubscribed": "unsubscribed",
    "failed": "failed",
}


def _funnel_row(campaign: Campaign, row: dict[str, Any]) -> dict[str, Any]:
    step = row["step"]
    counts = {key: value for key, value in row.items() if key != "step"}
    urls = {
        name: links.messages_url(campaign, outcome=outcome, step=step.pk)
        for name, outcome in STEP_OUTCOMES.items()
    }
    urls["audience"] = links.messages_url(campaign, step=step.pk)
    if campaign.type == Campaign.Type.SEQUENCE:
        urls["waiting"] = links.waiting_url(campaign, step.order)
    return {
        "step": str(step.pk),
        "order": step.order,
        "label": step.label(),
        "day": step.offset_days,
        "active": step.is_active,
        "links": urls,
        **counts,
    }


def skipped_reasons(campaign: Campaign) -> list[dict[str, Any]]:
    """The skipped messages by reason, named for what each is ("1 opted out, 3 on the
    suppression list"), each with the messages it counts."""
    keys = {text: key for key, text in audience.skip_texts(campaign).items()}
    rows = (
        MessageLog.objects.filter(
            campaign=campaign, is_test=False, status=MessageLog.Status.SKIPPED
        )
        .values("error_message")
        .annotate(count=Count("pk"))
        .order_by("-count", "error_message")
    )
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        text = row["error_message"]
        key = keys.get(text)
        words = (
            str(audience.SKIPPED_WORDS[key])
            if key in audience.SKIPPED_WORDS
            else failures.in_words(text)
        )
        reason = found.setdefault(
            words,
            {
                "words": words,
                "count": 0,
                "url": links.messages_url(campaign, why=failures.in_words(text)),
            },
        )
        reason["count"] += row["count"]
    return list(found.values())


def _blast_line(campaign: Campaign, progress: dict[str, Any], warning: str) -> str:
    """Where a blast stands, in one line: how far, how fast, when it ends or ended."""
    latest = (
        Dispatch.objects.filter(campaign=campaign)
        .order_by("-created_at")
        .values("status", "send_after", "finished_at")
        .first()
    )
    if not progress["total"] or latest is None:
        return "Nothing queued yet."
    done = f"{progress['percent']:g}% done"
    if not progress["waiting"]:
        ended = latest["finished_at"] or progress["last_sent"]
        verb = "Cancelled" if latest["status"] == Dispatch.Status.CANCELLED else "Finished"
        return f"{verb} {spoken_time(ended)}" if ended else verb
    if campaign.status == Campaign.Status.PAUSED:
        return f"Paused · {done}"
    starts = latest["send_after"]
    if latest["status"] == Dispatch.Status.SCHEDULED and starts and starts > timezone.now():
        return f"Scheduled: starts {spoken_time(starts)}"
    if warning:
        return f"{done} · waiting for the sending service"
    if not progress["per_minute"]:
        return f"{done} · starting"
    rate = progress["per_minute"]
    pace = f"{rate:.0f}" if rate >= 10 else f"{rate:g}"
    return f"{done} · {pace} per minute · finishes {progress['eta']}"


def planned_finish(campaign: Campaign) -> Any:
    """The campaign's finish in its accounts' send plans, planned at most every PLAN_EVERY
    seconds per campaign: the page polls every few seconds, a plan moves by the minute, and
    planning a large account takes a fraction of a second."""
    key = f"campaign-forecast:{campaign.pk}"
    found = cache.get(key)
    if found is None:
        found = forecast.campaign_forecast(campaign)
        cache.set(key, found, PLAN_EVERY)
    return found
