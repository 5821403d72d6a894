"""Stage 2, launch_blast: a blast launched to every lead. Ours queues a row per lead and
renders each message when it is claimed (issue 14). The fair peer is of the same design: it
queues unrendered rows by bulk_create; a second peer renders and stores every message at
the launch, as ours did before, and a naive one saves them one by one. The limit is one raw
INSERT ... SELECT of the same rows. The outputs compare as the leads will get them: after
the timing, every queued message is rendered (in memory) as its claim will render it."""

import threading
import time
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone

from bench import checks
from bench.data import HTML_TEMPLATE, SUBJECT_TEMPLATE, lead_csv
from bench.timing import timed
from campaigns.audiences import audience
from campaigns.content import mime
from campaigns.launching import blasts, queuing
from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from campaigns.outbox import sending, unsubscribe_links
from crm.importing.lead_import import leads_import
from crm.models import Lead, Organization
from crm.site.bulk import column_of

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
    """A Django expert's launch of the same design as ours: an unrendered row per lead (a
    skipped one for a lead who opted out), the audience read in one query of the columns it
    needs, bulk_create in batches of 2,000, all in one transaction; rendered at the claim."""

    def launch(campaign: Campaign) -> None:
        step, account = campaign.steps.get(), campaign.email_account
        assert account is not None  # the bench's campaign sends from its account
        leads = audience.audience_of(campaign).annotate(
            suppressed=ExpressionWrapper(audience.suppressed(campaign), BooleanField())
        )
        with transaction.atomic():
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.ACTIVE)
            batch = []
            for pk, email, suppressed in leads.values_list("pk", "email", "suppressed").iterator(
                chunk_size=BATCH
            ):
                batch.append(
                    MessageLog(
                        organization_id=campaign.organization_id,
                        campaign_id=campaign.pk,
                        campaign_step=step,
                        lead_id=pk,
                        email_account=account,
                        to_email=email,
                        status=MessageLog.Status.SKIPPED
                        if suppressed
                        else MessageLog.Status.QUEUED,
                        error_message=audience.SKIPPED_UNSUBSCRIBED if suppressed else "",
                    )
                )
                if len(batch) == BATCH:
                    MessageLog.objects.bulk_create(batch)
                    batch = []
            MessageLog.objects.bulk_create(batch)

    return _measured(size, launch)


def limit(size: int) -> dict:
    """The physical limit: one raw INSERT ... SELECT of the same rows (a queued message per
    lead, a skipped one for a lead who opted out) from the lead table, in one transaction."""
    return _measured(size, raw_insert_select)


def raw_insert_select(campaign: Campaign) -> None:
    """A queued message for each of the campaign's leads (every status), a skipped one for a
    lead who opted out, written by one INSERT ... SELECT: no chunks, no bookkeeping."""
    step, account = campaign.steps.get(), campaign.email_account
    assert account is not None
    now = timezone.now()
    chosen = {
        "id": queuing.NEW_ID[connection.vendor],
        "organization": "l.organization_id",
        "campaign": "%(campaign)s",
        "campaign_step": "%(step)s",
        "lead": "l.id",
        "email_account": "%(account)s",
        "to_email": "l.email",
        "status": "CASE WHEN l.unsubscribed_at IS NULL THEN 'queued' ELSE 'skipped' END",
        "error_message": "CASE WHEN l.unsubscribed_at IS NULL THEN '' ELSE %(skipped)s END",
    }
    params: dict[str, Any] = {
        "campaign": _key(Campaign, campaign.pk),
        "step": _key(CampaignStep, step.pk),
        "account": _key(EmailAccount, account.pk),
        "skipped": audience.SKIPPED_UNSUBSCRIBED,
        "organization": _key(Organization, campaign.organization_id),
    }
    columns, expressions = [], []
    for field in MessageLog._meta.concrete_fields:
        if field.name in chosen:
            expression = chosen[field.name]
        elif field.null:
            continue
        else:
            default = field.pre_save(MessageLog(created_at=now, updated_at=now), True)
            params[field.name] = field.get_db_prep_save(default, connection)
            expression = f"%({field.name})s"
        columns.append(connection.ops.quote_name(column_of(field)))
        expressions.append(expression)
    table = connection.ops.quote_name(MessageLog._meta.db_table)
    statuses = ", ".join(f"'{status}'" for status in Lead.Status.values)
    with transaction.atomic(), connection.cursor() as cursor:
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.ACTIVE)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(expressions)} "
            f"FROM crm_lead l WHERE l.organization_id = %(organization)s "
            f"AND l.status IN ({statuses})",
            params,
        )


def _key(model: Any, value: Any) -> Any:
    """A primary key as the database takes it in raw SQL (SQLite: a UUID's 32 hex digits)."""
    return model._meta.pk.get_db_prep_value(value, connection)


def rendering(size: int) -> dict:
    """A Django expert's launch as ours was before issue 14: the same render per lead, the
    leads read in one query (with their organization and property), bulk_create in batches
    of 2,000, all in one transaction."""

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
