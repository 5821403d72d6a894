"""python manage.py import_leads FILE --org SLUG [--dry-run]"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.importing import CsvFileError, leads_import
from crm.models import Organization


class Command(BaseCommand):
    help = "Import leads from a CSV file into one organization (the admin's importer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")

    def handle(self, *args: Any, file: Path, org: str, dry_run: bool, **options: Any) -> None:
        try:
            organization = Organization.objects.get(slug=org)
        except Organization.DoesNotExist:
            raise CommandError(f"No organization with the slug {org!r}.") from None
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            report = leads_import(
                organization=organization, data=data, dry_run=dry_run, progress=self.progress
            )
        except CsvFileError as error:
            raise CommandError(f"{file}: {error}") from None
        if self.stderr.isatty():
            self.stderr.write("")
        for error in report.errors:
            self.stderr.write(f"{file}: {error}")
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def progress(self, done: int, total: int) -> None:
        filled = 30 * done // max(total, 1)
        bar = "#" * filled + "-" * (30 - filled)
        # On a terminal the bar redraws in place; in a log each batch is a line.
        ending = "" if self.stderr.isatty() else "\n"
        self.stderr.write(f"\r[{bar}] {done:,}/{total:,} leads saved", ending=ending)
