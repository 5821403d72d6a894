"""The plan in staff's words: "finishes Thu Mar 5, 14:00, after Spring blast (ahead of it
in the queue)", in the viewer's time zone."""

import datetime

from django.utils import timezone

from campaigns.models import Campaign
from campaigns.reporting.planner.plans import CampaignPlan

HELD = "Held while the campaign is paused: {count} waiting, planned again once resumed."
AB_HELD = "{count} held until the winner is chosen"
AB_DUE = "{count} held until the winner is chosen ({when}), then sent"
AB_NOT_DUE = "{count} held until the winner is chosen, {hours} after the last test message is sent"
BEYOND = "Finishes in more than a year at this account's cap."
NOTHING_WAITS = "Nothing waits to be sent."
NAMED = 2


def moment(at: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """ "today at 14:00", "Thu Mar 5, 14:00"."""
    local = timezone.localtime(at)
    if local.date() == timezone.localtime(now or timezone.now()).date():
        return f"today at {local:%H:%M}"
    return f"{local:%a %b} {local.day}, {local:%H:%M}"


def names(campaigns: tuple[Campaign, ...]) -> str:
    """ "Spring blast", "Spring blast and Open house", "A, B and 2 more"."""
    shown = [campaign.name for campaign in campaigns[:NAMED]]
    more = len(campaigns) - len(shown)
    if more:
        return f"{', '.join(shown)} and {more} more"
    return " and ".join(shown)


def ahead(row: CampaignPlan) -> str:
    if not row.ahead:
        return ""
    verb = "is" if len(row.ahead) == 1 else "are"
    return f"after {names(row.ahead)}, which {verb} ahead of it in the queue"


def finish(row: CampaignPlan | None, now: datetime.datetime | None = None) -> str:
    """The campaign's planned finish, and what it waits for (an A/B test's rest held for
    its winner is counted: never "nothing waits" while it is)."""
    if row is None or not (row.messages or row.held or row.ab_held):
        return NOTHING_WAITS
    if row.held and not row.messages:
        return HELD.format(count=f"{row.held:,}")
    if row.blocked:
        return row.blocked
    held = held_for_winner(row, now)
    if row.ab_held and row.ab_decision is None:
        # Nothing of the rest can be planned before the test messages are out.
        return f"{held[0].upper()}{held[1:]}."
    if row.finish is None:
        return BEYOND
    after = ahead(row)
    text = f"Finishes {moment(row.finish, now)}" + (f", {after}" if after else "")
    return f"{text}; {held}." if held else f"{text}."


def held_for_winner(row: CampaignPlan, now: datetime.datetime | None = None) -> str:
    """ "80 held until the winner is chosen (today at 14:00), then sent"; "" for none."""
    if not row.ab_held:
        return ""
    count = f"{row.ab_held:,}"
    if row.ab_decision is not None:
        return AB_DUE.format(count=count, when=moment(row.ab_decision, now))
    hours = row.campaign.ab_wait_hours
    return AB_NOT_DUE.format(count=count, hours=f"{hours} hour{'s' if hours != 1 else ''}")
