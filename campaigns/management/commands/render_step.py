"""python manage.py render_step STEP_ID --lead EMAIL: print the message as it would be sent."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.content import mime, rendering, template_errors
from campaigns.models import CampaignStep
from campaigns.outbox import senders, sending
from crm.models import Lead


class Command(BaseCommand):
    help = "Print a step rendered for one lead as RFC 5322 text (same renderer and builder)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("step_id")
        parser.add_argument("--lead", required=True, help="The lead's email address.")

    def handle(self, *args: Any, step_id: str, lead: str, **options: Any) -> None:
        try:
            step = CampaignStep.objects.select_related("campaign__email_account").get(pk=step_id)
        except (CampaignStep.DoesNotExist, ValueError):
            raise CommandError(f"No step with the id {step_id!r}.") from None
        organization = step.campaign.organization_id
        found = Lead.objects.filter(organization=organization, email__iexact=lead).first()
        if found is None:
            raise CommandError(f"No lead {lead!r} in this step's organization.")
        # As it would go: from the lead's agent when the campaign sends from each lead's.
        account = senders.account_for(step.campaign, found, senders.sending_account(step.campaign))
        if account is None:
            raise CommandError("The campaign has no sending account.")
        try:
            rendered = sending.render_for(step, found, account)
        except rendering.TemplateError as error:
            raise CommandError(
                f"The {template_errors.part_name(error.part)} cannot be rendered: {error}"
            ) from None
        log = sending.MessageLog(lead=found, to_email=found.email)
        addressing = sending.addressing_for(log, account)
        message = mime.build(rendered, addressing)
        self.stdout.write(message.decode("ascii").replace("\r\n", "\n"), ending="")
