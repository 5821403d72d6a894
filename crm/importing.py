"""The lead importer: one CSV reader and one bulk upsert, shared by the admin and the CLI.

A file that cannot be read as CSV is refused whole, with the line that broke it. In a
readable file every row is checked; good rows are imported and each bad row is reported
with its line number and reason.
"""

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower

from crm.bulk import insert_many, update_many
from crm.models import Lead, Organization

BATCH_SIZE = 5000
# Columns an import may set, and the names spreadsheets commonly give them.
HEADER_ALIASES = {
    "name": "name",
    "full_name": "name",
    "fullname": "name",
    "email": "email",
    "e_mail": "email",
    "email_address": "email",
    "phone": "phone",
    "phone_number": "phone",
    "telephone": "phone",
    "mobile": "phone",
    "city": "city",
    "status": "status",
    "budget_min": "budget_min",
    "min_budget": "budget_min",
    "budget_max": "budget_max",
    "max_budget": "budget_max",
    "source": "source",
    "first_name": "first_name",
    "firstname": "first_name",
    "last_name": "last_name",
    "lastname": "last_name",
}
MAX_LENGTHS = {"name": 200, "phone": 40, "city": 100, "source": 100}
STATUS_BY_WORD = {choice.label.lower(): choice.value for choice in Lead.Status} | {
    choice.value: choice.value for choice in Lead.Status
}

NOT_UTF8 = "Line {line} is not valid UTF-8. Save the file as “CSV UTF-8” and try again."
NUL_BYTE = "Line {line} contains a NUL byte: this looks like a binary file, not a CSV."
BROKEN_CSV = "Line {line} could not be read as CSV: {reason}."
EMPTY_FILE = "The file is empty."
NO_EMAIL_COLUMN = "The header has no email column (found: {found})."

# Spreadsheet budgets come as "500000", "500,000", "$ 500 000" or "500000.00".
_MONEY_NOISE = re.compile(r"[\s,$€£\u00a0\u202f']")


class CsvFileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    # A sample of what will happen, for the admin preview: (line, kind, values).
    sample: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Rows kept out of the import (a row may have several errors)."""
        return len({error.line for error in self.errors})

    def summary(self) -> str:
        verb = "Would import" if self.dry_run else "Imported"
        return (
            f"{verb} {self.rows:,} rows: {self.created:,} new, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.rejected:,} rejected."
        )


Progress = Callable[[int, int], None]


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise CsvFileError(NUL_BYTE.format(line=data[: data.index(b"\x00")].count(b"\n") + 1))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvFileError(NOT_UTF8.format(line=line)) from None


def _header_key(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


def read_rows(data: bytes) -> tuple[list[str], list[str], Iterator[tuple[int, list[str]]]]:
    """Return (columns, ignored header names, rows as (line number, cells))."""
    text = _decode(data)
    if not text.strip():
        raise CsvFileError(EMPTY_FILE)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as error:
        raise CsvFileError(BROKEN_CSV.format(line=reader.line_num, reason=error)) from None
    header = [name.strip() for name in header]
    columns = [HEADER_ALIASES.get(_header_key(name), "") for name in header]
    ignored = [name for name, column in zip(header, columns, strict=True) if not column and name]
    if "email" not in columns:
        found = ", ".join(name for name in header if name.strip()) or "nothing"
        raise CsvFileError(NO_EMAIL_COLUMN.format(found=found))

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num + 1
        try:
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield line, cells
                line = reader.line_num + 1
        except csv.Error as error:
            raise CsvFileError(BROKEN_CSV.format(line=line, reason=error)) from None

    return columns, ignored, rows()


def _money(value: str) -> int:
    cleaned = _MONEY_NOISE.sub("", value)
    if cleaned.endswith((".00", ".0")):
        cleaned = cleaned.rsplit(".", 1)[0]
    if not cleaned.isdigit():
        raise ValueError(f"“{value}” is not a whole, non-negative amount")
    return int(cleaned)


def clean_row(columns: list[str], cells: list[str], line: int) -> tuple[dict, list[RowError]]:
    """Turn one row into lead field values, or say everything that is wrong with it."""
    raw: dict[str, str] = {}
    for column, cell in zip(columns, cells, strict=False):
        if column:
            raw[column] = cell.strip()
    errors: list[RowError] = []
    if len(cells) > len(columns):
        extra = [cell for cell in cells[len(columns) :] if cell.strip()]
        if extra:
            errors.append(RowError(line, "", f"{len(cells)} cells for {len(columns)} columns"))
    values: dict[str, object] = {}
    if "first_name" in raw or "last_name" in raw:
        full = f"{raw.pop('first_name', '')} {raw.pop('last_name', '')}".strip()
        if not raw.get("name"):
            raw["name"] = full

    email = raw.get("email", "")
    if not email:
        errors.append(RowError(line, "email", "is empty"))
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(RowError(line, "email", f"“{email}” is not a valid email address"))
        values["email"] = email
    if "name" in raw:
        if not raw["name"]:
            errors.append(RowError(line, "name", "is empty"))
        values["name"] = raw["name"]
    for column in ("phone", "city", "source"):
        if raw.get(column):
            values[column] = raw[column]
    for column, limit in MAX_LENGTHS.items():
        value = values.get(column)
        if isinstance(value, str) and len(value) > limit:
            errors.append(RowError(line, column, f"is longer than {limit} characters"))
    if raw.get("status"):
        status = STATUS_BY_WORD.get(raw["status"].lower())
        if status is None:
            allowed = ", ".join(choice.value for choice in Lead.Status)
            errors.append(RowError(line, "status", f"“{raw['status']}” is not one of {allowed}"))
        values["status"] = status
    for column in ("budget_min", "budget_max"):
        if raw.get(column):
            try:
                values[column] = _money(raw[column])
            except ValueError as error:
                errors.append(RowError(line, column, str(error)))
    low, high = values.get("budget_min"), values.get("budget_max")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors.append(RowError(line, "budget_min", f"{low} is more than budget_max {high}"))
    return values, errors


def _existing_leads(organization: Organization, emails: list[str]) -> dict[str, Lead]:
    found: dict[str, Lead] = {}
    for start in range(0, len(emails), 900):
        chunk = emails[start : start + 900]
        queryset = (
            Lead.objects.filter(organization=organization)
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
        )
        for lead in queryset:
            found[lead.email.lower()] = lead
    return found


def leads_import(
    *,
    organization: Organization,
    data: bytes,
    dry_run: bool = False,
    progress: Progress | None = None,
    sample_size: int = 0,
) -> ImportReport:
    """Create or update the organization's leads from CSV bytes, matching on email."""
    columns, ignored, rows = read_rows(data)
    report = ImportReport(ignored_columns=ignored, dry_run=dry_run)

    cleaned: dict[str, tuple[int, dict]] = {}
    for line, cells in rows:
        report.rows += 1
        values, errors = clean_row(columns, cells, line)
        if errors:
            report.errors.extend(errors)
            continue
        key = str(values["email"]).lower()
        if key in cleaned:
            first = cleaned[key][0]
            report.errors.append(
                RowError(line, "email", f"{values['email']} already appears on line {first}")
            )
            continue
        cleaned[key] = (line, values)

    existing = _existing_leads(organization, list(cleaned))
    to_create: list[Lead] = []
    to_update: list[Lead] = []
    update_fields: set[str] = set()
    for key, (line, values) in cleaned.items():
        lead = existing.get(key)
        if lead is None:
            if "name" not in values:
                report.errors.append(RowError(line, "name", "is needed for a new lead"))
                continue
            to_create.append(Lead(organization=organization, **values))
            kind = "create"
        else:
            changed = {
                name: value
                for name, value in values.items()
                if name != "email" and getattr(lead, name) != value
            }
            if not changed:
                report.unchanged += 1
                continue
            for name, value in changed.items():
                setattr(lead, name, value)
            update_fields.update(changed)
            to_update.append(lead)
            kind = "update"
        if len(report.sample) < sample_size:
            report.sample.append((line, kind, values))
    report.errors.sort(key=lambda error: error.line)
    report.created, report.updated = len(to_create), len(to_update)
    if dry_run:
        return report

    total, done = len(to_create) + len(to_update), 0
    # updated_at is auto_now: its pre_save stamps it during the update.
    fields = sorted(update_fields | {"updated_at"})
    with transaction.atomic():
        for leads, write in (
            (to_create, insert_many),
            (to_update, partial(update_many, field_names=fields)),
        ):
            for start in range(0, len(leads), BATCH_SIZE):
                batch = leads[start : start + BATCH_SIZE]
                write(batch)
                done += len(batch)
                if progress:
                    progress(done, total)
    return report
