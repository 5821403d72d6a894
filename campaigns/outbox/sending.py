"""Sending one message: build the bytes from the frozen content and hand them to the
account's provider (Gmail, or the sandbox that writes .eml files)."""

from typing import Any

from django.utils import timezone

from campaigns.accounts import gmail, providers
from campaigns.audiences import listing_fit
from campaigns.content import follow_ups, mime, rendering, template_errors
from campaigns.content.email_locale import EmailLocale, writing
from campaigns.models import CampaignStep, EmailAccount, MessageLog, StepSnapshot
from campaigns.outbox import tracking_links, unsubscribe_links
from crm.email_addresses import AddressError
from crm.models import Lead

CANNOT_ADDRESS = "This message cannot be addressed: {error}"
CANNOT_BUILD = "This message could not be built ({kind}): {error}"


def addressing_for(log: MessageLog, account: EmailAccount) -> mime.Addressing:
    lead = log.lead
    return mime.Addressing(
        sender_name=account.display_name,
        sender_email=account.email_address,
        to_email=log.to_email,
        to_name="" if log.is_test else lead.name,
        reply_to=account.reply_to,
        unsubscribe_url=unsubscribe_links.url_for(lead, test=log.is_test, campaign=log.campaign_id),
        # A mailto: only where reply detection reads what it brings (replies.py).
        unsubscribe_mailto=account.detect_replies and account.may_read_headers,
        postal_address=lead.organization.postal_address,
        agency=lead.organization.name,
        in_reply_to=log.in_reply_to,
        is_test=log.is_test,
    )


def message_locale(log: MessageLog) -> EmailLocale:
    """The locale the message is written in: its campaign's language, its agency's money."""
    language = log.campaign.language if log.campaign_id and log.campaign else ""
    return EmailLocale.of_organization(log.lead.organization, language)


def build_for(log: MessageLog, account: EmailAccount) -> bytes:
    addressing = addressing_for(log, account)
    body_html = log.body_html
    if not log.is_test and log.campaign_id:
        body_html = tracking_links.instrument(body_html, log, addressing.unsubscribe_url)
    rendered = rendering.Rendered(subject=log.subject, html=body_html, text=log.body_text)
    with writing(message_locale(log)):  # the test marker, and a footer still missing
        return mime.build(rendered, addressing, message_id=log.message_id)


def deliver(log: MessageLog, account: EmailAccount, raw: bytes | None = None) -> gmail.Sent:
    """Send one claimed message, built already (`raw`) or built now; raises
    gmail.GmailError subclasses on failure (and, built now, whatever building raises)."""
    return providers.send(account, raw or build_for(log, account), log.thread_id)


def build_failure(error: Exception) -> str:
    """Why a message could not be built, in staff's words: an address that no message can
    carry, or (a fault of ours) the exception, named, so the message fails alone."""
    if isinstance(error, AddressError):
        return CANNOT_ADDRESS.format(error=error)
    return CANNOT_BUILD.format(kind=type(error).__name__, error=str(error)[:500])


def render_for(
    step: CampaignStep | StepSnapshot,
    lead: Lead,
    account: EmailAccount | None,
    url: str = "",
    *,
    test: bool = False,
    variant: str = "",
    language: str | None = None,
) -> rendering.Rendered:
    """The step (or its snapshot) rendered for one lead, footer included, in the campaign's
    language (`language` when given, "" for the agency's: the live preview of a campaign as
    typed) and the agency's money: the preview, the test send and the claim all use it, so
    what staff see is what is sent. `url` is the lead's unsubscribe link when the caller has
    it already.
    A `test` rendering (preview, test send) differs only in that link's token, which opens
    the page but unsubscribes nobody. `variant` (B to D) takes that subject of an A/B test
    instead of the step's."""
    owner = step.step if isinstance(step, StepSnapshot) else step
    url = url or unsubscribe_links.url_for(lead, test=test, campaign=owner.campaign_id)
    campaign = owner.campaign if owner.campaign_id else None
    organization = lead.organization
    if language is None:
        language = campaign.language if campaign is not None else ""
    with writing(EmailLocale.of_organization(organization, language)):
        # A listing alert's step (or its snapshot, at the claim) reads its listing.
        listing = listing_fit.listing_for(owner)
        subject = step.subject_of(variant)
        context = rendering.message_context(
            lead=lead,
            sender=account,
            unsubscribe_url=url,
            listing=listing,
            card=rendering.uses_card(subject, step.body_template, step.text_template),
        )
        try:
            rendered = rendering.render_message(
                subject=subject,
                html=step.body_template,
                text=step.text_template,
                context=context,
            )
        except rendering.TemplateError as error:
            if error.part == "subject" and variant not in ("", "A"):
                error.part = f"subject_{variant.lower()}"
            raise
        return mime.with_footer(
            rendered,
            postal_address=organization.postal_address,
            unsubscribe_url=url,
            agency=organization.name,
        )


def first_step_of(campaign: Any) -> CampaignStep | None:
    """The step whose email a threaded sequence's follow-ups reply to: its first active one."""
    return campaign.steps.filter(is_active=True).order_by("order").first()


def subject_for(
    step: CampaignStep,
    first_step: CampaignStep | None,
    own: str,
    lead: Lead,
    account: EmailAccount | None,
) -> str:
    """The subject `step` goes to `lead` with (follow_ups.subject_as_sent): `own`, its own
    subject as rendered, or, for a follow-up sent in its sequence's first thread, the first
    step's subject rendered for the lead, as a reply. When the first step cannot be
    rendered for the lead, its email never goes: the follow-up goes with its own subject."""
    if first_step is None or not follow_ups.in_first_thread(step, first_step):
        return own
    try:
        first = render_for(first_step, lead, account, test=True).subject
    except rendering.TemplateError:
        return own
    return follow_ups.subject_as_sent(step, first_step, own, first)


def test_send(
    *, step: CampaignStep, lead: Lead, account: EmailAccount, to_email: str, variant: str = ""
) -> MessageLog:
    """Send the step as rendered for `lead` to a staff address, marked and logged as a test.

    Raises rendering.TemplateError before anything is logged; a delivery failure is
    recorded on the returned log (status failed, with the reason).
    """
    rendered = render_for(step, lead, account, test=True, variant=variant)
    subject = subject_for(step, first_step_of(step.campaign), rendered.subject, lead, account)
    log = MessageLog.objects.create(
        organization=lead.organization,
        campaign=step.campaign,
        campaign_step=step,
        lead=lead,
        email_account=account,
        is_test=True,
        variant=variant,
        status=MessageLog.Status.SENDING,
        claimed_at=timezone.now(),
        to_email=to_email,
        subject=subject,
        body_html=rendered.html,
        body_text=rendered.text,
        message_id=mime.new_message_id(account.email_address),
    )
    try:
        sent = deliver(log, account)
    except gmail.GmailError as error:
        log.status, log.error_message = MessageLog.Status.FAILED, str(error)
    except AddressError as error:  # the staff address typed for the test
        log.status, log.error_message = MessageLog.Status.FAILED, build_failure(error)
    else:
        log.status, log.sent_at = MessageLog.Status.SENT, timezone.now()
        log.provider_message_id, log.thread_id = sent.message_id, sent.thread_id
    log.save()
    return log


CANNOT_RENDER = "The {part} cannot be rendered for this lead: {error}"
RENDERED = ["to_email", "subject", "body_html", "body_text", "message_id", "links", "updated_at"]


def queued_message(
    *, snapshot: StepSnapshot, lead: Lead, account: EmailAccount, **fields: object
) -> MessageLog:
    """An unsaved, queued MessageLog of the step's snapshot for the lead; it is rendered
    when claimed (render_claimed)."""
    return MessageLog(
        organization_id=lead.organization_id,
        campaign_id=snapshot.step.campaign_id,
        campaign_step_id=snapshot.step_id,
        snapshot=snapshot,
        lead=lead,
        email_account=account,
        to_email=lead.email,
        **fields,
    )


def render_failure(error: rendering.TemplateError) -> str:
    """Why a message could not be made for its lead, in staff's words."""
    return CANNOT_RENDER.format(part=template_errors.part_name(error.part), error=error)


def render_claimed(log: MessageLog, account: EmailAccount) -> None:
    """Render a claimed message from its frozen step, for the lead as they are now (the
    same rendering as the preview), and keep the result on the row: what the log shows is
    what was sent. A threaded follow-up keeps its "Re:" subject. Raises TemplateError, with
    the part (CANNOT_RENDER says it to staff), when the step cannot be rendered for the lead.
    """
    if log.snapshot is None:
        return  # rendered when it was queued (before rendering moved to the claim)
    lead = log.lead
    url = unsubscribe_links.url_for(lead, campaign=log.campaign_id)
    rendered = render_for(log.snapshot, lead, account, url, variant=log.variant)
    log.to_email = lead.email
    if not log.in_reply_to:
        log.subject = rendered.subject
    log.body_html, log.body_text = rendered.html, rendered.text
    log.message_id = log.message_id or mime.new_message_id(account.email_address)
    log.links = (
        tracking_links.trackable_links(rendered.html, url) if log.campaign.track_clicks else []
    )
    log.save(update_fields=RENDERED)


def prepare_claimed(log: MessageLog, account: EmailAccount) -> bytes:
    """A claimed message rendered (render_claimed) and built: the bytes the provider gets.
    Raises TemplateError for the step, or whatever building raised (AddressError, for an
    address that no message can carry)."""
    render_claimed(log, account)
    return build_for(log, account)
