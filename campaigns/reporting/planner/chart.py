"""The Plan page's chart (unfold's Chart.js bar component, with the results charts'
options): the next days' sends stacked by campaign, and the account's cap each day as a
line, which climbs while the account warms up."""

import json

from babel.dates import format_skeleton
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

from campaigns.reporting.charts import outcomes_by_day_options
from campaigns.reporting.planner.plans import AccountPlan

COLOURS = ["#7c3aed", "#2563eb", "#16a34a", "#f59e0b", "#db2777", "#0891b2", "#65a30d", "#ea580c"]
CAP_COLOUR = "#6b7280"
CAP_LABEL = _("Daily cap")


def options() -> str:
    return outcomes_by_day_options()


def colour_of(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def plan_by_day(plan: AccountPlan) -> str:
    """One bar a day, a stack per campaign (in the order they first send), and the cap."""
    planned = [row.campaign for row in plan.campaigns if row.first_send]
    data = {
        "labels": [
            format_skeleton("EEEMMMd", day.day, locale=to_locale(get_language() or "en"))
            for day in plan.days
        ],
        "datasets": [
            {
                "label": campaign.name,
                "data": [day.sends.get(campaign.pk, 0) for day in plan.days],
                "backgroundColor": colour_of(index),
                "stack": "plan",
            }
            for index, campaign in enumerate(planned)
        ]
        + [
            {
                "type": "line",
                "label": str(CAP_LABEL),
                "data": [day.cap for day in plan.days],
                "borderColor": CAP_COLOUR,
                "backgroundColor": CAP_COLOUR,
                "borderDash": [6, 4],
                "pointRadius": 3,
                "stack": "cap",
            }
        ],
    }
    return json.dumps(data)
