"""Importing a suppression list (addresses never to email, from another tool or a
complaint) from a CSV file or a workbook, with the lead importer's reader and its checks."""

from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy, ngettext

from crm.importing.csv_reading import CsvFileError, RowError
from crm.importing.lead_import import ERRORS_KEPT, IS_EMPTY, NOT_AN_EMAIL, TOO_LONG, batch_size
from crm.importing.mapping import automatic
from crm.importing.tables import open_table
from crm.importing.values import shown
from crm.models import Organization, SuppressedAddress

NO_EMAIL_COLUMN = gettext_lazy("The header has no email column (found: {found}).")

# The model's own field: its validators are the address syntax and its 254 characters.
EMAIL_FIELD = SuppressedAddress._meta.get_field("email")


@dataclass
class SuppressionImport:
    rows: int = 0
    added: int = 0
    already: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first ERRORS_KEPT

    def reject(self, error: RowError) -> None:
        self.rejected += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(error)

    def summary(self) -> str:
        rows = ngettext("Read %(n)s row", "Read %(n)s rows", self.rows) % {"n": f"{self.rows:,}"}
        added = ngettext(
            "%(n)s address added to the suppression list",
            "%(n)s addresses added to the suppression list",
            self.added,
        ) % {"n": f"{self.added:,}"}
        return gettext("%(rows)s: %(added)s, %(already)s already on it, %(rejected)s rejected.") % {
            "rows": rows,
            "added": added,
            "already": f"{self.already:,}",
            "rejected": f"{self.rejected:,}",
        }


def _email_error(email: str) -> str:
    if not email:
        return str(IS_EMPTY)
    try:
        EMAIL_FIELD.run_validators(email)
    except ValidationError as error:
        if error.error_list[0].code == "max_length":
            return TOO_LONG.format(limit=EMAIL_FIELD.max_length)
        return NOT_AN_EMAIL.format(value=shown(email))
    return ""


def import_addresses(
    *, organization: Organization, data: bytes | BinaryIO, detail: str = ""
) -> SuppressionImport:
    """Add every valid address of a CSV's email column (other columns are ignored); bad rows
    are reported by line and the good ones still added. Raises CsvFileError for a file that
    cannot be read at all (the file is streamed: one found broken late adds nothing)."""
    table = open_table(data)
    emails = automatic(table.header).of("email")
    if not emails:
        found = ", ".join(name for name in table.header if name) or gettext("nothing")
        raise CsvFileError(NO_EMAIL_COLUMN.format(found=found))
    position = emails[0].index
    report = SuppressionImport()
    batch: dict[str, int] = {}
    with transaction.atomic():
        for line, cells in table.rows:
            report.rows += 1
            email = cells[position].strip().lower() if position < len(cells) else ""
            message = _email_error(email)
            if message:
                report.reject(RowError(line, "email", message))
                continue
            if email in batch:
                report.already += 1
                continue
            batch[email] = line
            if len(batch) >= batch_size():
                _add(organization, batch, detail, report)
                batch = {}
        _add(organization, batch, detail, report)
    return report


def _add(
    organization: Organization, batch: dict[str, int], detail: str, report: SuppressionImport
) -> None:
    listed = set(
        SuppressedAddress.objects.filter(organization=organization, email__in=batch).values_list(
            "email", flat=True
        )
    )
    new = [
        SuppressedAddress(
            organization=organization,
            email=email,
            reason=SuppressedAddress.Reason.MANUAL,
            detail=detail[:500],
        )
        for email in batch
        if email not in listed
    ]
    # ignore_conflicts: an unsubscribe landing at the same moment is not an error.
    SuppressedAddress.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    report.added += len(new)
    report.already += len(listed)
