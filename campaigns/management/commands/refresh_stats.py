"""python manage.py refresh_stats: sum the dashboard's past days again (for cron)."""

from typing import Any

from django.core.management.base import BaseCommand

from campaigns.reporting import stats


class Command(BaseCommand):
    help = (
        "Sum the last 31 days of the message log per campaign and day for the admin home "
        "(the sender does it every 5 minutes; run this from cron if it does not run)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        window = stats.refresh()
        self.stdout.write(f"Dashboard figures summed for {window.since} to {window.until}.")
