"""python manage.py run_sequences: queue every sequence step that is due (for cron)."""

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import F
from django.utils import timezone

from campaigns.models import Enrollment
from campaigns.sequences import schedule


class Command(BaseCommand):
    help = "Enrol new matching leads and queue every sequence step that is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--pretend-days-passed",
            type=int,
            default=0,
            help="Demo only (DEBUG): move every active enrollment N days into the past first.",
        )

    def handle(self, *args: Any, pretend_days_passed: int, **options: Any) -> None:
        if pretend_days_passed:
            if not settings.DEBUG:
                raise CommandError("--pretend-days-passed is for the demo (DEBUG) only.")
            shift = datetime.timedelta(days=pretend_days_passed)
            Enrollment.objects.filter(state=Enrollment.State.ACTIVE).update(
                started_at=F("started_at") - shift, next_due_at=F("next_due_at") - shift
            )
        result = schedule.tick(timezone.now())
        self.stdout.write(f"Tick: {result}.")
