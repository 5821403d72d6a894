"""The results charts, as data and options for unfold's Chart.js components
(unfold/components/chart/bar.html): a legend, axes with their values, and bars stacked by
outcome; and a campaign's funnel per step."""

import datetime
import json
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

from campaigns.models import ENGAGEMENT

# Each stack: a name staff read in the legend, how it is counted from a day's figures
# (campaigns.reporting.stats.FIGURES), and its colour. Messages count on the day they were sent, in
# the furthest outcome they reached; failures on the day they failed.
STACKS = [
    ("Sent, no reaction yet", "no_reaction", "#c4b5fd"),
    ("Opened", "furthest_opened", "#60a5fa"),
    ("Clicked", "furthest_clicked", "#2563eb"),
    ("Replied", "furthest_replied", "#16a34a"),
    ("Unsubscribed", "furthest_unsubscribed", "#f59e0b"),
    ("Bounced", "bounced", "#f97316"),
    ("Failed", "failed", "#dc2626"),
]
# The funnel of a step: each stage a part of the one before (ENGAGEMENT), in its colour.
STAGE_COLOURS = {"sent": "#a78bfa", "opened": "#60a5fa", "clicked": "#2563eb", "replied": "#16a34a"}
STAGES = [(stage.capitalize(), stage, STAGE_COLOURS[stage]) for stage in ENGAGEMENT]
# A step's label on the funnel's axis: three short lines at most (Chart.js draws a list as
# lines), so a long subject does not push the bars off the chart, on a phone too.
LABEL_LINE = 20
LABEL_LINES = 3
AXIS_COLOUR = "#6b7280"


def _options(*, stacked: bool, horizontal: bool = False, axis_title: str) -> str:
    values_axis = {
        "stacked": stacked,
        "beginAtZero": True,
        "ticks": {"precision": 0, "color": AXIS_COLOUR},
        "grid": {"display": True},
        "title": {"display": True, "text": axis_title, "color": AXIS_COLOUR},
    }
    categories_axis = {
        "stacked": stacked,
        # Day names stay level, every other one left out when they do not fit.
        "ticks": {"color": AXIS_COLOUR, "autoSkip": not horizontal, "maxRotation": 0},
        "grid": {"display": False},
    }
    options = {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "indexAxis": "y" if horizontal else "x",
        "datasets": {"bar": {"maxBarThickness": 32, "borderRadius": 2}},
        "plugins": {
            "legend": {
                "display": True,
                "position": "bottom",
                "labels": {
                    "color": AXIS_COLOUR,
                    "usePointStyle": True,
                    "pointStyle": "rectRounded",
                },
            },
            "tooltip": {"enabled": True, "mode": "index", "intersect": False},
        },
        "scales": {
            "x": values_axis if horizontal else categories_axis,
            "y": categories_axis if horizontal else values_axis,
        },
    }
    return json.dumps(options)


OUTCOMES_BY_DAY_OPTIONS = _options(stacked=True, axis_title="Messages")
FUNNEL_OPTIONS = _options(stacked=False, horizontal=True, axis_title="Messages")


# What a sent message can have led to, each message counted in one (campaigns.reporting.stats).
REACTIONS = [
    "furthest_opened",
    "furthest_clicked",
    "furthest_replied",
    "furthest_unsubscribed",
    "bounced",
]


def stack_counts(figures: Mapping[str, int]) -> dict[str, int]:
    """One day's figures as the chart's stacks, which add up to sent plus failed."""
    reacted = sum(figures.get(key, 0) for key in REACTIONS)
    return {
        "no_reaction": figures.get("sent", 0) - reacted,
        **{key: figures.get(key, 0) for key in [*REACTIONS, "failed"]},
    }


def outcomes_by_day(
    by_day: Mapping[datetime.date, Mapping[str, int]], today: datetime.date, days: int
) -> str:
    """The messages of each of the last `days` days, one bar a day stacked by outcome."""
    dates = [today - datetime.timedelta(days=n) for n in range(days - 1, -1, -1)]
    stacks = [stack_counts(by_day.get(day, {})) for day in dates]
    data = {
        "labels": [f"{day:%b} {day.day}" for day in dates],
        "datasets": [
            {
                "label": label,
                "data": [counts[key] for counts in stacks],
                "backgroundColor": colour,
                "stack": "messages",
            }
            for label, key, colour in STACKS
        ],
    }
    return json.dumps(data)


def funnel(rows: Iterable[Mapping[str, Any]], *, opens: bool, clicks: bool) -> str:
    """Each step's funnel (sent, opened, clicked, replied), from the per-step results;
    the stages the campaign did not track are left out rather than drawn as zeros."""
    rows = list(rows)
    tracked = {"opened": opens, "clicked": clicks}
    data = {
        "labels": [_lines(str(row["step"])) for row in rows],
        "datasets": [
            {
                "label": label,
                "data": [row.get(key, 0) for row in rows],
                "backgroundColor": colour,
            }
            for label, key, colour in STAGES
            if tracked.get(key, True)
        ],
    }
    return json.dumps(data)


def funnel_height(steps: int) -> int:
    """Pixels for the funnel: room for the legend and axis, and a band per step."""
    return 90 + 70 * max(steps, 1)


def _lines(label: str) -> list[str]:
    lines = textwrap.wrap(label, LABEL_LINE) or [""]
    if len(lines) > LABEL_LINES:
        lines = [*lines[: LABEL_LINES - 1], lines[LABEL_LINES - 1][: LABEL_LINE - 1] + "…"]
    return lines
