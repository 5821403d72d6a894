"""The plan in staff's words: "finishes Thu Mar 5, 14:00, after Spring blast (ahead of it
in the queue)", in the viewer's time zone."""

import datetime

from babel.dates import format_skeleton
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext, to_locale
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from campaigns.reporting.planner.plans import CampaignPlan
from crm.site.numbers import grouped

HELD = _("Held while the campaign is paused: {count} waiting, planned again once resumed.")
AB_HELD = _("{count} held until the winner is chosen")
AB_DUE = _("{count} held until the winner is chosen ({when}), then sent")
BEYOND = _("Finishes in more than a year at this account's cap.")
NOTHING_WAITS = _("Nothing waits to be sent.")
TODAY_AT = _("today at {time}")
AND_MORE = _("{names} and {more} more")
AND = _("{first} and {second}")
AFTER_ONE = _("after {names}, which is ahead of it in the queue")
AFTER_SEVERAL = _("after {names}, which are ahead of it in the queue")
FINISHES = _("Finishes {moment}.")
FINISHES_AFTER = _("Finishes {moment}, {after}.")
FINISHES_HELD = _("Finishes {moment}; {held}.")
FINISHES_AFTER_HELD = _("Finishes {moment}, {after}; {held}.")
NAMED = 2


def moment(at: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """ "today at 14:00", "Thu Mar 5, 14:00"."""
    local = timezone.localtime(at)
    time = formats.time_format(local, "TIME_FORMAT")
    if local.date() == timezone.localtime(now or timezone.now()).date():
        return TODAY_AT.format(time=time)
    day = format_skeleton("EEEMMMd", local.date(), locale=to_locale(get_language() or "en"))
    return f"{day}, {time}"


def names(campaigns: tuple[Campaign, ...]) -> str:
    """ "Spring blast", "Spring blast and Open house", "A, B and 2 more"."""
    shown = [campaign.name for campaign in campaigns[:NAMED]]
    more = len(campaigns) - len(shown)
    if more:
        return AND_MORE.format(names=", ".join(shown), more=more)
    if len(shown) == 2:
        return AND.format(first=shown[0], second=shown[1])
    return "".join(shown)


def ahead(row: CampaignPlan) -> str:
    if not row.ahead:
        return ""
    said = AFTER_ONE if len(row.ahead) == 1 else AFTER_SEVERAL
    return said.format(names=names(row.ahead))


def finish(row: CampaignPlan | None, now: datetime.datetime | None = None) -> str:
    """The campaign's planned finish, and what it waits for (an A/B test's rest held for
    its winner is counted: never "nothing waits" while it is)."""
    if row is None or not (row.messages or row.held or row.ab_held):
        return str(NOTHING_WAITS)
    if row.held and not row.messages:
        return HELD.format(count=grouped(row.held))
    if row.blocked:
        return row.blocked
    held = held_for_winner(row, now)
    if row.ab_held and row.ab_decision is None:
        # Nothing of the rest can be planned before the test messages are out.
        return f"{held[0].upper()}{held[1:]}."
    if row.finish is None:
        return str(BEYOND)
    after = ahead(row)
    when = moment(row.finish, now)
    if held:
        if after:
            return FINISHES_AFTER_HELD.format(moment=when, after=after, held=held)
        return FINISHES_HELD.format(moment=when, held=held)
    return (
        FINISHES_AFTER.format(moment=when, after=after) if after else FINISHES.format(moment=when)
    )


def held_for_winner(row: CampaignPlan, now: datetime.datetime | None = None) -> str:
    """ "80 held until the winner is chosen (today at 14:00), then sent"; "" for none."""
    if not row.ab_held:
        return ""
    count = grouped(row.ab_held)
    if row.ab_decision is not None:
        return AB_DUE.format(count=count, when=moment(row.ab_decision, now))
    hours = row.campaign.ab_wait_hours
    return ngettext(
        "{count} held until the winner is chosen, {hours} hour after the last test message is sent",
        "{count} held until the winner is chosen, {hours} hours after the last test message "
        "is sent",
        hours,
    ).format(count=count, hours=hours)
