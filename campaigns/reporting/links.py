"""Where each count of the campaign page leads: the message log filtered to the messages it
counts (campaigns/admin/message_filters.py reads these parameters), and a sequence's
enrollments waiting for a step."""

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

# The message log's filter parameters.
CAMPAIGN = "campaign__id__exact"
STATUS = "status__exact"
OUTCOME = "outcome"  # a stage of campaigns.models.FUNNEL
STEP = "step"
LINK = "link"
WHY = "why"  # a reason in words (campaigns.outbox.failures.in_words)


def messages_url(campaign: Any, **filters: Any) -> str:
    """The campaign's messages, filtered: messages_url(campaign, outcome="opened",
    step=step.pk), or link=url, why=words, status="cancelled"."""
    names = {"outcome": OUTCOME, "step": STEP, "link": LINK, "why": WHY, "status": STATUS}
    query = {CAMPAIGN: campaign.pk, **{names[name]: value for name, value in filters.items()}}
    return f"{reverse('admin:campaigns_messagelog_changelist')}?{urlencode(query)}"


def waiting_url(campaign: Any, order: int) -> str:
    """A sequence's leads whose next step is this one."""
    query = {"campaign__id__exact": campaign.pk, "state__exact": "active", "next_order": order}
    return f"{reverse('admin:campaigns_enrollment_changelist')}?{urlencode(query)}"
