"""A lead's history as one list, newest first: each message sent to them and what came of
it (opened, clicked, replied, bounced, unsubscribed, or why it was not sent), and those
waiting to be sent, each with its campaign.

Events come from sources: functions from a lead to its events. Another kind of event
(an auto-reply held, a note) is one more function in SOURCES.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.urls import reverse

from campaigns.models import WAITING, Campaign, MessageLog
from campaigns.outbox import failures
from crm.models import Lead

MESSAGES_SHOWN = 200


@dataclass(frozen=True)
class Event:
    at: datetime.datetime
    kind: str  # one of KINDS: its words and colour
    campaign: Campaign | None = None
    step: str = ""
    subject: str = ""
    detail: str = ""
    link: str = ""  # the page that tells more (the message)

    @property
    def title(self) -> str:
        return KINDS[self.kind][0]

    @property
    def colour(self) -> str:
        return KINDS[self.kind][1]


# Each kind: its words, and the colour of its label (unfold's label variants).
KINDS = {
    "waiting": ("Waiting to send", "default"),
    "sent": ("Sent", "primary"),
    "opened": ("Opened", "info"),
    "clicked": ("Clicked", "info"),
    "replied": ("Replied", "success"),
    "bounced": ("Bounced", "danger"),
    "failed": ("Failed", "danger"),
    "not_sent": ("Not sent", "warning"),
    "unsubscribed": ("Unsubscribed", "warning"),
}
NOT_SENT = {MessageLog.Status.SKIPPED, MessageLog.Status.CANCELLED}


def message_events(lead: Lead) -> Iterator[Event]:
    """Every message of the lead's campaigns (test sends apart) and what came of it."""
    messages = (
        MessageLog.objects.filter(lead=lead, is_test=False)
        .select_related("campaign_step__campaign__organization", "campaign")
        .prefetch_related("link_clicks")
        .order_by("-created_at")[:MESSAGES_SHOWN]
    )
    for message in messages:
        common = {
            "campaign": message.campaign,
            "step": f"Step {message.campaign_step.order}" if message.campaign_step else "",
            "subject": message.subject_shown,
            "link": reverse("admin:campaigns_messagelog_change", args=[message.pk]),
        }
        reason = failures.in_words(message.error_message)
        if message.status in WAITING:
            yield Event(message.created_at, "waiting", **common)
        elif message.status == MessageLog.Status.FAILED:
            yield Event(message.updated_at, "failed", detail=reason, **common)
        elif message.status in NOT_SENT:
            yield Event(message.updated_at, "not_sent", detail=reason, **common)
        clicked = ", ".join(dict.fromkeys(click.url for click in message.link_clicks.all()))
        for kind, at, detail in (
            ("sent", message.sent_at, ""),
            ("opened", message.opened_at, ""),
            ("clicked", message.clicked_at, clicked),
            ("replied", message.replied_at, ""),
            ("bounced", message.bounced_at, reason),
            ("unsubscribed", message.unsubscribed_at, ""),
        ):
            if at is not None:
                yield Event(at, kind, detail=detail, **common)


def opt_out_events(lead: Lead) -> Iterator[Event]:
    """An opt-out that no message of a campaign accounts for (the lead's own page, or an
    address suppressed before any campaign)."""
    attributed = MessageLog.objects.filter(lead=lead, unsubscribed_at__isnull=False).exists()
    if lead.unsubscribed_at and not attributed:
        yield Event(lead.unsubscribed_at, "unsubscribed", detail="No campaign email after this.")


SOURCES: list[Callable[[Lead], Iterable[Event]]] = [message_events, opt_out_events]


def lead_timeline(lead: Lead) -> list[Event]:
    """The lead's events from every source, newest first (at the same moment, the later
    kind first: a message is sent before it is opened)."""
    events = [event for source in SOURCES for event in source(lead)]
    order = list(KINDS)
    return sorted(
        events,
        key=lambda event: (event.at, order.index(event.kind) if event.kind in order else 0),
        reverse=True,
    )
