"""python manage.py import_leads FILE --org SLUG [--dry-run]"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.importing.csv_reading import CsvFileError, RowError
from crm.importing.lead_import import leads_import
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
            source = file.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        self.file, self.bar_drawn = file, False
        try:
            with source:
                report = leads_import(
                    organization=organization,
                    data=source,
                    dry_run=dry_run,
                    progress=self.progress,
                    on_error=self.error,
                    source_name=file.name,
                )
        except CsvFileError as error:
            raise CommandError(f"{file}: {error}") from None
        self.end_bar()
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def error(self, error: RowError) -> None:
        # Errors are written as they are found: a file of millions of rows may have many.
        self.end_bar()
        self.stderr.write(f"{self.file}: {error}")

    def progress(self, saved: int, read: float) -> None:
        filled = round(30 * read)
        bar = "#" * filled + "-" * (30 - filled)
        # On a terminal the bar redraws in place; in a log each batch is a line.
        ending = "" if self.stderr.isatty() else "\n"
        self.stderr.write(f"\r[{bar}] {read:4.0%} read, {saved:,} leads saved", ending=ending)
        self.bar_drawn = self.stderr.isatty()

    def end_bar(self) -> None:
        if self.bar_drawn:
            self.stderr.write("")
            self.bar_drawn = False
