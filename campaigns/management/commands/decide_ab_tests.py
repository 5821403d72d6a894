"""python manage.py decide_ab_tests: A/B subject tests whose wait is over choose their winner
and release it to the rest (for cron, when no `send_queued --loop` runs)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from campaigns.ab_tests import variants


class Command(BaseCommand):
    help = "Decide the A/B subject tests whose wait is over; the winner goes to the rest."

    def handle(self, *args: Any, **options: Any) -> None:
        decided = variants.decide_due()
        note = ngettext("%(n)s A/B test decided.", "%(n)s A/B tests decided.", decided)
        self.stdout.write(note % {"n": decided})
