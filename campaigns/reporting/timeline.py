"""A lead's history as one list, newest first: each message sent to them and what came of
it (opened, clicked, replied, bounced, unsubscribed, or why it was not sent), and those
waiting to be sent, each with its campaign.

Events come from sources: functions from a lead to its events. Another kind of event
(an auto-reply held, a note) is one more function in SOURCES.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from django.urls import reverse

from campaigns.models import WAITING, Campaign, MessageLog, OptOut
from campaigns.outbox import failures
from crm import consent
from crm.models import ConsentRecord, Lead, SuppressedAddress

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
    "left": ("Left a campaign", "warning"),
    "consent": ("Consent recorded", "success"),
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
    how = unsubscribed_how(lead) if lead.unsubscribed_at else ""
    for message in messages:
        # What every event of the message shows; each event says when, what and why.
        waiting = Event(
            message.created_at,
            "waiting",
            campaign=message.campaign,
            step=f"Step {message.campaign_step.order}" if message.campaign_step else "",
            subject=message.subject_shown,
            link=reverse("admin:campaigns_messagelog_change", args=[message.pk]),
        )
        reason = failures.in_words(message.error_message)
        if message.status in WAITING:
            yield waiting
        elif message.status == MessageLog.Status.FAILED:
            yield replace(waiting, at=message.updated_at, kind="failed", detail=reason)
        elif message.status in NOT_SENT:
            yield replace(waiting, at=message.updated_at, kind="not_sent", detail=reason)
        clicked = ", ".join(dict.fromkeys(click.url for click in message.link_clicks.all()))
        for kind, at, detail in (
            ("sent", message.sent_at, ""),
            ("opened", message.opened_at, ""),
            ("clicked", message.clicked_at, clicked),
            ("replied", message.replied_at, ""),
            ("bounced", message.bounced_at, reason),
            ("unsubscribed", message.unsubscribed_at, how),
        ):
            if at is not None:
                yield replace(waiting, at=at, kind=kind, detail=detail)


def opt_out_events(lead: Lead) -> Iterator[Event]:
    """An opt-out that no message of a campaign accounts for (the lead's own page, or an
    address suppressed before any campaign), and how the lead asked (the link, one click in
    their mail app, a reply)."""
    attributed = MessageLog.objects.filter(lead=lead, unsubscribed_at__isnull=False).exists()
    if lead.unsubscribed_at and not attributed:
        how = unsubscribed_how(lead)
        detail = f"{how}. No campaign email after this." if how else "No campaign email after this."
        yield Event(lead.unsubscribed_at, "unsubscribed", detail=detail)


def unsubscribed_how(lead: Lead) -> str:
    """How the lead opted out, as the suppression list recorded it."""
    entry = SuppressedAddress.objects.filter(
        organization=lead.organization_id,
        email=lead.email.strip().lower(),
        reason=SuppressedAddress.Reason.UNSUBSCRIBED,
    ).first()
    return entry.detail[:1].upper() + entry.detail[1:] if entry and entry.detail else ""


def preference_events(lead: Lead) -> Iterator[Event]:
    """Campaigns, or kinds of campaign, the lead left on their preference page."""
    for opt_out in OptOut.objects.filter(lead=lead).select_related("campaign"):
        what = opt_out.campaign.name if opt_out.campaign else opt_out.get_kind_display()
        yield Event(opt_out.created_at, "left", detail=f"No more: {what}.")


def consent_events(lead: Lead) -> Iterator[Event]:
    """Each consent record: the basis, since when, where from, and who recorded it."""
    for record in lead.consent_records.select_related("recorded_by"):
        yield Event(record.recorded_at, "consent", detail=consent_words(record))


def consent_words(record: ConsentRecord) -> str:
    parts = [record.get_basis_display()]
    if record.given_on:
        parts.append(f"since {record.given_on:%Y-%m-%d}")
    where = record.source_detail or record.get_source_display()
    parts.append(f"from {where}")
    if record.recorded_by:
        parts.append(f"recorded by {record.recorded_by.get_username()}")
    text = ", ".join(parts)
    return f"{text}. Shown: “{record.wording}”" if record.wording else text


SOURCES: list[Callable[[Lead], Iterable[Event]]] = [
    message_events,
    opt_out_events,
    preference_events,
    consent_events,
]


@dataclass(frozen=True)
class ConsentPanel:
    """The lead page's consent box: may they be emailed now, and the evidence."""

    standing: consent.Standing
    regime: consent.Regime
    records: list[ConsentRecord]
    opt_outs: list[OptOut]


def consent_panel(lead: Lead) -> ConsentPanel:
    return ConsentPanel(
        standing=consent.standing(lead),
        regime=consent.regime_for(lead.organization.country),
        records=list(lead.consent_records.select_related("recorded_by")),
        opt_outs=list(OptOut.objects.filter(lead=lead).select_related("campaign")),
    )


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
