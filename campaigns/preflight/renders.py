"""A step rendered for a lead by the one renderer, as the preview renders it (footer
included), and checked; at most once per distinct input.

A step's output depends only on the lead and property fields its templates read (found in
their syntax tree), the campaign's organization and sender, and the lead's unsubscribe link.
The link is printed as is or not at all (else nothing is reused), and every lead's link has
the same length and characters that need no escaping: the step is rendered with a stand-in
link of that length, once per distinct set of values read, and the lead's own link is put
in its place when the text itself is wanted. Ten thousand leads share a few hundred cities
and first names, so a preflight renders a fraction of what a launch does.
"""

import html
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from campaigns.content import mime, rendering
from campaigns.content.email_locale import EmailLocale, writing
from campaigns.models import Campaign, CampaignStep, MessageLog
from campaigns.outbox import tracking_links, unsubscribe_links
from campaigns.preflight import content, fields
from crm.models import Lead

# Kept per step at most: each holds a rendered message (a few KB).
MEMO_LIMIT = 20_000


@dataclass(frozen=True)
class Outcome:
    """A step for a lead: the message as sent and the checks its parts fail, or why it
    cannot be rendered (`part`, `error`)."""

    final: rendering.Rendered | None = None
    problems: tuple[str, ...] = ()
    part: str = ""
    error: str = ""


def stand_in_link(campaign: Campaign) -> str:
    """An unsubscribe link like every lead's, same length, for a lead that does not exist."""
    return unsubscribe_links.url_for(Lead(pk=uuid.UUID(int=0)), campaign=campaign)


class StepRenderer:
    def __init__(self, step: CampaignStep, campaign: Campaign, account: Any, link: str) -> None:
        self.step, self.campaign, self.account, self.link = step, campaign, account, link
        organization = campaign.organization
        self.locale = EmailLocale.of_organization(organization, campaign.language)
        with writing(self.locale):
            self.footer = content.Footer.of(organization.postal_address, organization.name)
        parts = [(step.subject, False), (step.body_template, True), (step.text_template, False)]
        self.card = rendering.uses_card(*(source for source, _ in parts))
        reads = [fields.template_reads(source, html) for source, html in parts if source]
        # A link that escaping would change would make the stand-in's output differ.
        reusable = all(read is not None for read in reads) and html.escape(link) == link
        self.memo: dict | None = {} if reusable else None
        self.fields = sorted({name for read in reads if read for name in read.fields})
        self.whole = sorted({name for read in reads if read for name in read.whole})

    def outcome(
        self, values: dict[str, dict | None], lead: Any, own_link: Callable[[], str]
    ) -> tuple[Outcome, str]:
        """The step for this lead, and the unsubscribe link it was rendered with."""
        if self.memo is None:
            link = own_link()
            return self._render(lead, link), link
        key = self._key(values)
        found = self.memo.get(key)
        if found is None:
            found = self._render(lead, self.link)
            if len(self.memo) < MEMO_LIMIT:
                self.memo[key] = found
        return found, self.link

    def _key(self, values: dict[str, dict | None]) -> tuple:
        key: list[Any] = []
        for name in self.fields:
            value = fields.value_of(values, name)
            # The custom fields read whole (`lead.custom.items()`): a dict, as its items.
            key.append(tuple(sorted(value.items())) if isinstance(value, dict) else value)
        for owner in self.whole:
            read = values[owner]
            key.append(None if read is None else tuple(read.items()))
        return tuple(key)

    def _render(self, lead: Any, link: str) -> Outcome:
        with writing(self.locale):
            return self._checked(lead, link)

    def _checked(self, lead: Any, link: str) -> Outcome:
        step = self.step
        context = rendering.message_context(
            lead=lead, sender=self.account, unsubscribe_url=link, card=self.card
        )
        try:
            rendered = rendering.render_message(
                subject=step.subject,
                html=step.body_template,
                text=step.text_template,
                context=context,
            )
        except rendering.TemplateError as error:
            return Outcome(part=error.part or "html", error=str(error))
        # The same two calls as sending.render_for: what is checked is what the preview shows.
        organization = self.campaign.organization
        final = mime.with_footer(
            rendered,
            postal_address=organization.postal_address,
            unsubscribe_url=link,
            agency=organization.name,
        )
        problems = content.body_problems(
            final,
            unsubscribe_url=link,
            footer=self.footer,
            tracked_size=self._tracked_size(final, link),
        )
        return Outcome(final=final, problems=tuple(problems))

    def _tracked_size(self, final: rendering.Rendered, link: str) -> int:
        """The HTML's size once tracking rewrote it; worked out only near Gmail's limit."""
        campaign = self.campaign
        tracked = campaign.track_clicks or campaign.track_opens
        if not tracked or len(final.html.encode()) < content.GMAIL_CLIP_BYTES * 0.8:
            return 0
        log = MessageLog(campaign=campaign, links=tracking_links.trackable_links(final.html, link))
        return len(tracking_links.instrument(final.html, log, link).encode())


def as_sent(final: rendering.Rendered, link: str, own_link: str) -> rendering.Rendered:
    """The message with the lead's own unsubscribe link in place of the stand-in."""
    if link == own_link:
        return final
    return rendering.Rendered(
        subject=final.subject.replace(link, own_link),
        html=final.html.replace(link, own_link),
        text=final.text.replace(link, own_link),
    )
