"""python manage.py launch_campaign CAMPAIGN_ID [--lead-ids ID ...] [--filter JSON] [--check]"""

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns import preflight
from campaigns.audiences import audience
from campaigns.launching import blasts
from campaigns.models import Campaign

REFUSED = "The launch would be refused: {reasons}"


class Command(BaseCommand):
    help = "Launch a blast campaign, through the same service as the admin's Launch button."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign_id")
        parser.add_argument("--lead-ids", nargs="+", help="Send to these leads only.")
        parser.add_argument("--filter", help='A JSON audience filter, e.g. {"city": "Pasadena"}.')
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only the preflight: render every step for every lead and report (blank "
            "fields, failures, skipped leads, content problems). Nothing is queued.",
        )

    def handle(self, *args: Any, campaign_id: str, **options: Any) -> None:
        try:
            campaign = Campaign.objects.select_related("organization").get(
                pk=uuid.UUID(campaign_id)
            )
        except (Campaign.DoesNotExist, ValueError):
            raise CommandError(f"No campaign with the id {campaign_id!r}.") from None
        audience_filter = None
        if options["filter"]:
            try:
                audience_filter = json.loads(options["filter"])
            except ValueError as error:
                raise CommandError(f"--filter is not valid JSON: {error}") from None
        if options["check"]:
            return self.preflight(campaign, options["lead_ids"], audience_filter)
        try:
            launched = blasts.campaign_launch(
                campaign=campaign, lead_ids=options["lead_ids"], audience_filter=audience_filter
            )
        except blasts.LaunchError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Launched dispatch {launched.pk}: {launched.total - launched.skipped} queued, "
                f"{launched.skipped} skipped ({launched.get_driver_display()} driver)."
            )
        )

    def preflight(self, campaign: Campaign, lead_ids: Any, audience_filter: Any) -> None:
        try:
            report = preflight.preflight_run(
                campaign, lead_ids=lead_ids, audience_filter=audience_filter
            )
        except audience.AudienceError as error:
            raise CommandError(str(error)) from None
        for line in report.lines():
            self.stdout.write(line)
        if report.blocking:
            raise CommandError(REFUSED.format(reasons=" ".join(report.blocking)))
