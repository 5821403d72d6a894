"""python manage.py import_leads FILE --org SLUG [--dry-run] [--map COLUMN=FIELD ...]
[--status VALUE=STATUS ...] [--sheet NAME]; or python manage.py import_leads --resume."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from crm.importing import jobs
from crm.importing.csv_reading import CsvFileError, RowError
from crm.importing.lead_import import leads_import, remembered_or_automatic
from crm.importing.mapping import CHOICES, Mapping, header_key, mapping_with
from crm.importing.remembered import mapping_remember
from crm.importing.tables import open_table
from crm.importing.values import status_key
from crm.models import Lead, Organization

UNKNOWN_COLUMN = "--map {column!r}: the file has no such column (it has: {columns})."
UNKNOWN_FIELD = "--map {column!r}: {field!r} is not a field (choose from: {fields})."
UNKNOWN_STATUS = "--status {value!r}: {status!r} is not a status (choose from: {statuses})."
NOT_A_PAIR = "{option} {text!r}: write it as NAME=VALUE."


def _pair(option: str, text: str) -> tuple[str, str]:
    name, equals, value = text.rpartition("=")
    if not equals or not name.strip():
        raise CommandError(NOT_A_PAIR.format(option=option, text=text))
    return name.strip(), value.strip()


class Command(BaseCommand):
    help = (
        "Import leads from a CSV or .xlsx file into one organization (the admin's importer), "
        "or take up the admin's imports whose process stopped (--resume)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?")
        parser.add_argument("--org", help="The organization's slug.")
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="Send a column elsewhere than its name says (FIELD: "
            + ", ".join(key for key, _ in CHOICES)
            + ").",
        )
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            metavar="VALUE=STATUS",
            help='Map a value of the status column (e.g. "Past Client=client").',
        )
        parser.add_argument("--sheet", default="", help="A workbook's sheet (default: the first).")
        parser.add_argument(
            "--resume", action="store_true", help="Finish the admin's imports that stopped."
        )

    def handle(self, *args: Any, file: Path | None, org: str | None, **options: Any) -> None:
        if options["resume"]:
            taken = jobs.take_over_orphans()
            said = ngettext("%(n)s import taken up again.", "%(n)s imports taken up again.", taken)
            self.stdout.write(said % {"n": taken})
            return
        if file is None or not org:
            raise CommandError("Give a FILE and --org (or --resume).")
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
                mapping = self.mapping(organization, source, options)
                report = leads_import(
                    organization=organization,
                    data=source,
                    mapping=mapping,
                    sheet=options["sheet"],
                    dry_run=options["dry_run"],
                    progress=self.progress,
                    on_error=self.error,
                    source_name=file.name,
                )
        except CsvFileError as error:
            raise CommandError(f"{file}: {error}") from None
        self.end_bar()
        if not options["dry_run"]:
            mapping_remember(organization=organization, mapping=mapping)
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def mapping(self, organization: Organization, source: Any, options: dict) -> Mapping:
        """The agency's last mapping for this header (or the automatic one), with the
        command's --map and --status applied; printed, so that what happens is seen."""
        header = open_table(source, sheet=options["sheet"]).header
        source.seek(0)
        found = remembered_or_automatic(organization, header)
        targets = [column.target for column in found.columns]
        fields = {key for key, _ in CHOICES}
        for text in options["map"]:
            column, target = _pair("--map", text)
            indexes = [n for n, name in enumerate(header) if header_key(name) == header_key(column)]
            if not indexes:
                columns = ", ".join(header)
                raise CommandError(UNKNOWN_COLUMN.format(column=column, columns=columns))
            if target not in fields:
                raise CommandError(
                    UNKNOWN_FIELD.format(column=column, field=target, fields=", ".join(fields))
                )
            for index in indexes:
                targets[index] = target
        statuses = dict(found.statuses)
        for text in options["status"]:
            value, status = _pair("--status", text)
            if status and status not in Lead.Status.values:
                allowed = ", ".join(Lead.Status.values)
                raise CommandError(
                    UNKNOWN_STATUS.format(value=value, status=status, statuses=allowed)
                )
            statuses[status_key(value)] = status
        mapping = mapping_with(header, targets, statuses)
        for mapped in mapping.columns:
            goes = mapped.target + (f" ({mapped.custom_key})" if mapped.custom_key else "")
            self.stderr.write(f"{self.file}: {mapped.label} → {goes}")
        return mapping

    def error(self, error: RowError) -> None:
        # Problems are written as they are found: a file of millions of rows may have many.
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
