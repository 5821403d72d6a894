"""Stage 2, launch_blast: a blast launched to every lead. Ours queues a row per lead and
renders each message when it is claimed (issue 14); the peers render and store every message
at the launch, as ours did before. The outputs compare as the leads will get them: after the
timing, the sampled leads' queued messages are rendered as their claim will render them."""

import threading
import time
from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper

from bench import checks
from bench.data import HTML_TEMPLATE, SUBJECT_TEMPLATE, lead_csv
from bench.timing import timed
from campaigns.audiences import audience
from campaigns.content import mime
from campaigns.launching import blasts
from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from campaigns.outbox import sending, unsubscribe_links
from crm.importing.lead_import import leads_import
from crm.models import Lead, Organization

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

BATCH = 2000  # the peers' bulk_create batches


def prepare(size: int) -> Campaign:
    """An organization with `size` leads and a draft blast with a 2 KB step."""
    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", slug="bench", postal_address="x")
    leads_import(organization=organization, data=lead_csv(size, bad_ratio=0))
    account = EmailAccount.objects.create(
        organization=organization,
        user=User.objects.create(username="bench"),
        email_address="bench@agency.example",
        display_name="Bench",
        provider=EmailAccount.Provider.SANDBOX,
        daily_limit=10**9,
    )
    # Every status ticked: the launch reaches all `size` leads (naming none leaves out the
    # file's clients and lost leads).
    campaign = Campaign.objects.create(
        organization=organization,
        name="Blast",
        email_account=account,
        audience_filter={"status": Lead.Status.values},
    )
    CampaignStep.objects.create(
        campaign=campaign, subject=SUBJECT_TEMPLATE, body_template=HTML_TEMPLATE
    )
    return campaign


def _measured(size: int, launch) -> dict:
    campaign = prepare(size)
    measured = timed(lambda: launch(campaign))
    checks.render_as_claimed(campaign, size)
    output = checks.messages(campaign, size)
    assert output["counts"]["messages"] == size, output["counts"]
    return {**measured, "output": output}


def ours(size: int) -> dict:
    """Until every message is queued; the note says when the launch itself answered (the
    page's wait: an audience over one chunk is queued by a background thread)."""

    def launch(campaign: Campaign) -> str:
        started = time.perf_counter()
        blasts.campaign_launch(campaign=campaign)
        answered = time.perf_counter() - started
        for thread in threading.enumerate():
            if thread.name.startswith("queue-"):
                thread.join()
        return f"ours: the launch answered in {answered:.3f} s; {size:,} messages queued"

    return _measured(size, launch)


def rendered_message(step: CampaignStep, lead: Lead, account: EmailAccount) -> MessageLog:
    """The peers' message: rendered for the lead when it is queued, as ours did before it
    rendered at the claim (the same fields `sending.render_claimed` fills)."""
    url = unsubscribe_links.url_for(lead, campaign=step.campaign_id)
    rendered = sending.render_for(step, lead, account, url)
    return MessageLog(
        organization_id=lead.organization_id,
        campaign_id=step.campaign_id,
        campaign_step=step,
        lead=lead,
        email_account=account,
        to_email=lead.email,
        subject=rendered.subject,
        body_html=rendered.html,
        body_text=rendered.text,
        message_id=mime.new_message_id(account.email_address),
    )


class _Suppressed(TypedDict):
    suppressed: bool


def _peer_message(
    step: CampaignStep, lead: "WithAnnotations[Lead, _Suppressed]", account: EmailAccount
) -> MessageLog:
    """The message a launch makes for a lead: rendered and frozen, or skipped when the lead
    opted out (as ours, so the outputs compare)."""
    if lead.suppressed:
        return MessageLog(
            organization_id=lead.organization_id,
            campaign_id=step.campaign_id,
            campaign_step=step,
            lead=lead,
            email_account=account,
            to_email=lead.email,
            status=MessageLog.Status.SKIPPED,
            error_message=audience.SKIPPED_UNSUBSCRIBED,
        )
    return rendered_message(step, lead, account)


def peer(size: int) -> dict:
    """A Django expert's launch: the same render per lead, the leads read in one query
    (with their organization and property), bulk_create in batches of 2,000, all in one
    transaction."""

    def launch(campaign: Campaign) -> None:
        step, account = campaign.steps.get(), campaign.email_account
        assert account is not None  # the bench's campaign sends from its account
        leads = (
            audience.audience_of(campaign)
            .annotate(suppressed=ExpressionWrapper(audience.suppressed(campaign), BooleanField()))
            .select_related("organization", "property")
        )
        with transaction.atomic():
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.ACTIVE)
            batch = []
            for lead in leads.iterator(chunk_size=BATCH):
                batch.append(_peer_message(step, lead, account))
                if len(batch) == BATCH:
                    MessageLog.objects.bulk_create(batch)
                    batch = []
            MessageLog.objects.bulk_create(batch)

    return _measured(size, launch)


def naive(size: int) -> dict:
    """The spec's send_campaign_direct shape: a query, a render and a save per lead."""

    def launch(campaign: Campaign) -> None:
        step, account = campaign.steps.get(), campaign.email_account
        assert account is not None  # the bench's campaign sends from its account
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.ACTIVE)
        suppressed = ExpressionWrapper(audience.suppressed(campaign), BooleanField())
        for lead_id in audience.audience_of(campaign).values_list("pk", flat=True):
            lead = (
                Lead.objects.annotate(suppressed=suppressed)
                .select_related("organization", "property")
                .get(pk=lead_id)
            )
            _peer_message(step, lead, account).save()

    return _measured(size, launch)
