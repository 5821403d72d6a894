"""The lead importer: one CSV reader and one bulk upsert, shared by the admin and the CLI.

A file that cannot be read as CSV is refused whole, with the line that broke it
(`crm.importing.csv_reading`). In a readable file every row is checked against the model's own
limits; good rows are imported and each bad row is reported with its line, column and
reason.

The file is streamed in batches of rows: memory stays the same for ten rows or millions.
Per batch, existing leads are looked up through the Lower(email) index; the addresses of
earlier batches (to report a repeated one) wait in a scratch file (`crm.importing.import_seen`).
The counts come out exact; only the first ERRORS_KEPT errors are kept (`on_error` sees
them all).
"""

import datetime
import io
import itertools
import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from crm import consent
from crm.importing.csv_reading import RowError, read_rows, shown
from crm.importing.import_seen import SeenAddresses
from crm.importing.values import ValueProblem, read_date
from crm.models import ConsentRecord, Lead, Organization
from crm.owners import AgentNotFound, MemberLookup
from crm.site.bulk import insert_many, update_many
from crm.suppression import forgotten_among

BATCH_SIZE = 5000
ERRORS_KEPT = 500
# The model's fields, whose validators (lengths, the column's integer range) every value
# passes: a row accepted here is one the database takes.
LEAD_FIELDS = {
    field.name: field
    for field in Lead._meta.concrete_fields
    if field.name in ("email", "name", "phone", "city", "source", "budget_min", "budget_max")
}
_EMAIL_LENGTH = LEAD_FIELDS["email"].max_length or 254
STATUS_BY_WORD = {choice.label.lower(): choice.value for choice in Lead.Status} | {
    choice.value: choice.value for choice in Lead.Status
}

IS_EMPTY = "is empty"
EXTRA_CELLS = "{cells} cells for {columns} columns"
NOT_AN_EMAIL = "“{value}” is not a valid email address"
TOO_LONG = "is longer than {limit} characters"
TOO_LARGE = "{value} is more than {limit}, the largest amount a lead can hold"
NOT_AN_AMOUNT = "“{value}” is not a whole, non-negative amount"
NOT_A_STATUS = "“{value}” is not one of {allowed}"
MIN_OVER_MAX = "{low} is more than budget_max {high}"
ALREADY_IN_FILE = "{email} already appears on line {first}"
NAME_NEEDED = "is needed for a new lead"
NOT_A_DATE = "“{value}” is not a date (e.g. 2026-03-14)"
FROM_LINE = "{file}, line {line}"
ERASED_BEFORE = (
    " {count:,} of the new leads were erased earlier at their request: they come in opted "
    "out and are never emailed."
)

# Spreadsheet budgets come as "500000", "500,000", "$ 500 000" or "500000.00".
_MONEY_NOISE = re.compile(r"[\s,$€£\u00a0\u202f']")
# No column holds an amount of more digits; int() of a longer string is slow.
_MAX_DIGITS = 20
# Django's EmailValidator, in one compiled pattern for the usual address (a dot-atom and
# a host name): its own host, domain and TLD parts, and its dot-atom copied from it. A
# match is an address Django accepts; anything else goes to Django's validator.
COMMON_ADDRESS = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*@"
    + EmailValidator.hostname_re
    + EmailValidator.domain_re
    + EmailValidator.tld_no_fqdn_re
    + r"\Z",
    re.IGNORECASE,
)


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0  # rows kept out of the import (a row may have several errors)
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first ERRORS_KEPT
    # Rows imported without a value they named: an agent the agency does not have.
    warning_count: int = 0
    warnings: list[RowError] = field(default_factory=list)  # the first ERRORS_KEPT
    ignored_columns: list[str] = field(default_factory=list)
    # New rows whose address belongs to a lead erased at their request: kept opted out.
    erased_before: int = 0
    dry_run: bool = False
    # A sample of what will happen, for the admin preview: (line, kind, values).
    sample: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)

    def record(self, errors: list[RowError]) -> None:
        self.rejected += len({error.line for error in errors})
        self.error_count += len(errors)
        self.errors.extend(errors[: max(0, ERRORS_KEPT - len(self.errors))])

    def warn(self, warnings: list[RowError]) -> None:
        self.warning_count += len(warnings)
        self.warnings.extend(warnings[: max(0, ERRORS_KEPT - len(self.warnings))])

    def summary(self) -> str:
        verb = "Would import" if self.dry_run else "Imported"
        without = f" {self.warning_count:,} without their agent." if self.warning_count else ""
        erased = ERASED_BEFORE.format(count=self.erased_before) if self.erased_before else ""
        return (
            f"{verb} {self.rows:,} rows: {self.created:,} new, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged, {self.rejected:,} rejected.{without}{erased}"
        )


# Called after each batch: leads written so far, and how much of the file was read (0 to 1).
Progress = Callable[[int, float], None]


def _money(value: str) -> int:
    cleaned = _MONEY_NOISE.sub("", value)
    if cleaned.endswith((".00", ".0")):
        cleaned = cleaned.rsplit(".", 1)[0]
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise ValueError(NOT_AN_AMOUNT.format(value=shown(value)))
    # Longer amounts are past every column's range all the same, which the model's
    # validator then says (quoting the cell, not this cut).
    return int(cleaned.lstrip("0")[:_MAX_DIGITS] or "0")


def _limit_error(line: int, column: str, value: object, cell: str) -> RowError | None:
    """The model field's own validators on one value: a row that passes them all is one
    the database takes (lengths, the column's integer range, the address syntax)."""
    short = len(cell) <= _EMAIL_LENGTH
    if column == "email" and short and COMMON_ADDRESS.match(cell):
        return None  # the hot loop's fast path: 1 µs a row where the validator takes 9
    try:
        LEAD_FIELDS[column].run_validators(value)
    except ValidationError as error:
        first = error.error_list[0]
        limit = (first.params or {}).get("limit_value")
        messages = {
            "invalid": NOT_AN_EMAIL.format(value=shown(cell)),
            "max_length": TOO_LONG.format(limit=limit),
            "max_value": TOO_LARGE.format(value=shown(cell), limit=limit),
        }
        return RowError(line, column, messages.get(first.code or "", " ".join(error.messages)))
    return None


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
            message = EXTRA_CELLS.format(cells=len(cells), columns=len(columns))
            errors.append(RowError(line, "", message))
    values: dict[str, object] = {}
    if "first_name" in raw or "last_name" in raw:
        full = f"{raw.pop('first_name', '')} {raw.pop('last_name', '')}".strip()
        if not raw.get("name"):
            raw["name"] = full

    if not raw.get("email"):
        errors.append(RowError(line, "email", IS_EMPTY))
    else:
        values["email"] = raw["email"]
    if "name" in raw:
        if not raw["name"]:
            errors.append(RowError(line, "name", IS_EMPTY))
        values["name"] = raw["name"]
    for column in ("phone", "city", "source"):
        if raw.get(column):
            values[column] = raw[column]
    for column in ("budget_min", "budget_max"):
        if raw.get(column):
            try:
                values[column] = _money(raw[column])
            except ValueError as error:
                errors.append(RowError(line, column, str(error)))
    for column, value in values.items():
        if value != "" and (problem := _limit_error(line, column, value, raw[column])):
            errors.append(problem)
    if raw.get("status"):
        status = STATUS_BY_WORD.get(raw["status"].lower())
        if status is None:
            allowed = ", ".join(choice.value for choice in Lead.Status)
            message = NOT_A_STATUS.format(value=shown(raw["status"]), allowed=allowed)
            errors.append(RowError(line, "status", message))
        values["status"] = status
    low, high = values.get("budget_min"), values.get("budget_max")
    checked = not {"budget_min", "budget_max"} & {error.column for error in errors}
    if isinstance(low, int) and isinstance(high, int) and low > high and checked:
        errors.append(RowError(line, "budget_min", MIN_OVER_MAX.format(low=low, high=high)))
    if raw.get("agent"):
        values["agent"] = raw["agent"]  # a member's email or name: _Run finds who
    _consent_values(raw, values, errors, line)
    return values, errors


def _consent_values(raw: dict[str, str], values: dict, errors: list[RowError], line: int) -> None:
    """The consent column ("Yes", "Enquiry", "Past client"...) and its date, as the lead's
    basis: kept with the file's name and line (leads_import)."""
    if raw.get("consent"):
        try:
            values["consent_basis"] = consent.read_basis(raw["consent"])
        except ValueError as problem:
            errors.append(RowError(line, "consent", str(problem)))
    if raw.get("consent_date"):
        try:
            values["consent_date"] = datetime.date.fromisoformat(read_date(raw["consent_date"]))
        except (ValueProblem, ValueError):
            errors.append(
                RowError(line, "consent_date", NOT_A_DATE.format(value=raw["consent_date"]))
            )


def leads_by_address(organization: Organization, emails: list[str]) -> QuerySet[Lead]:
    """The organization's leads with these (lower-case) addresses, through the Lower(email)
    unique index. No ordering: the model's -created_at would lead SQLite to the
    (organization, -created_at) index instead, and to a scan of every lead per query."""
    return (
        Lead.objects.filter(organization=organization)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .order_by()
    )


def _existing_leads(organization: Organization, emails: list[str]) -> dict[str, Lead]:
    connection = connections[router.db_for_read(Lead)]
    # SQLite caps a query's parameters (999 here); PostgreSQL has no such cap (None).
    cap = connection.features.max_query_params
    chunk = BATCH_SIZE if cap is None else max(1, min(BATCH_SIZE, cap - 10))
    found: dict[str, Lead] = {}
    for start in range(0, len(emails), chunk):
        for lead in leads_by_address(organization, emails[start : start + chunk]):
            found[lead.email.lower()] = lead
    return found


@dataclass
class _Changes:
    """What one batch changes: the values of new leads, the updated leads and their fields;
    and the lines of the leads whose consent the file sets (by lower-case address)."""

    new: list[dict] = field(default_factory=list)
    updated: list[Lead] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)
    consented: dict[str, int] = field(default_factory=dict)


@dataclass
class _Run:
    """One import under way: its report, its options and the addresses read so far."""

    organization: Organization
    columns: list[str]
    report: ImportReport
    seen: SeenAddresses
    sample_size: int
    on_error: Callable[[RowError], None] | None
    members: MemberLookup | None = None

    def batch(self, rows: list[tuple[int, list[str]]]) -> _Changes:
        """Check and classify one batch of rows, and report on it."""
        cleaned, errors = self._clean(rows)
        warnings = self._agents(cleaned)
        changes = self._classify(cleaned, errors)
        errors.sort(key=lambda error: error.line)
        self.report.rows += len(rows)
        self.report.created += len(changes.new)
        self.report.updated += len(changes.updated)
        self.report.record(errors)
        self.report.warn(warnings)
        if self.on_error:
            for error in sorted(errors + warnings, key=lambda error: error.line):
                self.on_error(error)
        return changes

    def keep_erased_opted_out(self, new: list[dict]) -> None:
        """A new lead whose address belongs to a lead erased at their request (its hash is
        on the suppression list) comes in opted out: the import cannot email them again."""
        erased = forgotten_among(self.organization.pk, [values["email"] for values in new])
        now = timezone.now()
        for values in new:
            if values["email"] in erased:
                values["unsubscribed_at"] = now
        self.report.erased_before += len(erased)

    def _agents(self, cleaned: dict) -> list[RowError]:
        """Each row's agent cell becomes its lead's owner. A cell that names no member (or
        several) loses nothing else: the row is imported without it, and reported."""
        warnings = []
        for line, values in cleaned.values():
            if "agent" not in values:
                continue
            if self.members is None:
                self.members = MemberLookup(self.organization)
            cell = values.pop("agent")
            try:
                values["owner_id"] = self.members.match(cell)
            except AgentNotFound as problem:
                warnings.append(RowError(line, "agent", str(problem)))
        return sorted(warnings, key=lambda warning: warning.line)

    def _clean(self, rows: list[tuple[int, list[str]]]) -> tuple[dict, list[RowError]]:
        """The good rows by lower-case address, first come first kept, and the errors."""
        errors: list[RowError] = []
        cleaned: dict[str, tuple[int, dict]] = {}
        repeated: list[tuple[int, dict, int]] = []
        for line, cells in rows:
            values, row_errors = clean_row(self.columns, cells, line)
            key = str(values.get("email", "")).lower()
            if row_errors:
                errors += row_errors
            elif key in cleaned:
                repeated.append((line, values, cleaned[key][0]))
            else:
                cleaned[key] = (line, values)
        for key, first in self.seen.first_lines(cleaned).items():
            line, values = cleaned.pop(key)
            repeated.append((line, values, first))
        self.seen.add({key: line for key, (line, _) in cleaned.items()})
        for line, values, first in repeated:
            message = ALREADY_IN_FILE.format(email=values["email"], first=first)
            errors.append(RowError(line, "email", message))
        return cleaned, errors

    def _classify(self, cleaned: dict, errors: list[RowError]) -> _Changes:
        changes, report = _Changes(), self.report
        existing = _existing_leads(self.organization, list(cleaned))
        for key, (line, values) in cleaned.items():
            lead = existing.get(key)
            if lead is None:
                if "name" not in values:
                    errors.append(RowError(line, "name", NAME_NEEDED))
                    continue
                changes.new.append(values)
                kind = "create"
                if "consent_basis" in values or "consent_date" in values:
                    changes.consented[key] = line
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
                changes.fields.update(changed)
                if {"consent_basis", "consent_date"} & set(changed):
                    changes.consented[key] = line
                changes.updated.append(lead)
                kind = "update"
            if len(report.sample) < self.sample_size:
                report.sample.append((line, kind, values))
        return changes


def _record_consent(leads: list[Lead], lines: dict[str, int], source_name: str) -> None:
    """A consent record for each lead whose consent the file set (CASL s. 13: the sender
    proves consent; the file and its line say where it came from)."""
    if not lines:
        return
    consent.consent_records_many(
        [
            ConsentRecord(
                organization_id=lead.organization_id,
                lead=lead,
                basis=lead.consent_basis,
                given_on=lead.consent_date,
                source=ConsentRecord.Source.IMPORT,
                source_detail=FROM_LINE.format(file=source_name or "import", line=lines[key]),
            )
            for lead in leads
            if (key := lead.email.lower()) in lines
        ]
    )


def leads_import(
    *,
    organization: Organization,
    data: bytes | BinaryIO,
    dry_run: bool = False,
    progress: Progress | None = None,
    sample_size: int = 0,
    on_error: Callable[[RowError], None] | None = None,
    source_name: str = "",
) -> ImportReport:
    """Create or update the organization's leads from a CSV (bytes or a binary file),
    matching on email. The writes are one transaction: a file found broken at its last
    line leaves the leads as they were. A consent column is kept as each lead's consent
    record, naming `source_name` (the file) and the line."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    size = max(source.seek(0, io.SEEK_END), 1)
    source.seek(0)
    columns, ignored, rows = read_rows(source)
    report = ImportReport(ignored_columns=ignored, dry_run=dry_run)
    written = 0
    with (
        nullcontext() if dry_run else transaction.atomic(),
        SeenAddresses(Path(settings.LEAD_IMPORT_DIR)) as seen,
    ):
        run = _Run(organization, columns, report, seen, sample_size, on_error)
        while batch := list(itertools.islice(rows, BATCH_SIZE)):
            changes = run.batch(batch)
            run.keep_erased_opted_out(changes.new)
            if not dry_run:
                created = [Lead(organization=organization, **new) for new in changes.new]
                insert_many(created)
                # updated_at is auto_now: its pre_save stamps it during the update.
                update_many(changes.updated, field_names=sorted(changes.fields | {"updated_at"}))
                _record_consent([*created, *changes.updated], changes.consented, source_name)
                written += len(changes.new) + len(changes.updated)
            if progress:
                progress(written, min(source.tell() / size, 1.0))
    return report
