"""The lead importer: one reader, one mapping and one bulk upsert, shared by the admin, the
CLI and the inbound endpoint (crm/inbound/).

A file that cannot be read at all is refused whole, with the line that broke it
(`crm.importing.tables`). Each column goes where the mapping says (`crm.importing.mapping`);
each cell is read as people write it (`crm.importing.values`). A row is refused only when
it has no usable email address (or repeats one, or has cells past the header); a value
that cannot be read is left out and the row imported all the same. Every row refused or
changed is named by line and column, with what was read and why.

The file is streamed in batches of rows: memory stays the same for ten rows or millions.
Per batch, existing leads are looked up through the Lower(email) index; the addresses of
earlier batches (to report a repeated one) wait in a scratch file (`crm.importing.import_seen`).
The counts come out exact; only the first ERRORS_KEPT problems of each kind are kept
(`on_error` sees them all).
"""

import datetime
import io
import itertools
import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from crm import consent
from crm.importing import mapping as columns_of
from crm.importing import values as cells
from crm.importing.csv_reading import CsvFileError, RowError
from crm.importing.import_seen import SeenAddresses
from crm.importing.mapping import CUSTOM, NO_EMAIL, Column, Mapping
from crm.importing.remembered import remembered_mapping
from crm.importing.tables import open_table
from crm.importing.values import ValueProblem, shown
from crm.models import (
    ConsentRecord,
    CustomField,
    Lead,
    Organization,
    Tag,
    full_name,
    split_full_name,
)
from crm.owners import AgentNotFound, MemberLookup
from crm.plain_text import without_control_characters
from crm.site.bulk import insert_many, update_many
from crm.suppression import forgotten_among

ERRORS_KEPT = 500
SAMPLE_KEPT = 20
# The model's fields, whose validators (lengths, the column's integer range) every value
# passes: a row accepted here is one the database takes.
LEAD_FIELDS = {
    field.name: field
    for field in Lead._meta.concrete_fields
    if field.name
    in ("email", "first_name", "last_name", "phone", "city", "source", "budget_min", "budget_max")
}
_EMAIL_LENGTH = LEAD_FIELDS["email"].max_length or 254
# A custom field's value is text of at most this many characters.
CUSTOM_LENGTH = 1000

IS_EMPTY = gettext_lazy("is empty")
EXTRA_CELLS = gettext_lazy("{cells} cells for {columns} columns")
NOT_AN_EMAIL = gettext_lazy("“{value}” is not a valid email address")
TOO_LONG = gettext_lazy("is longer than {limit} characters")
TOO_LARGE = gettext_lazy("{value} is more than {limit}, the largest amount a lead can hold")
ALREADY_IN_FILE = gettext_lazy("{email} already appears on line {first}")
# What happens to a value that cannot be used: the row is imported without it.
LEFT_OUT = gettext_lazy("{problem}: imported without {what}")
KEPT_AS_WRITTEN = gettext_lazy("{problem}: kept as written")
CUT_SHORT = gettext_lazy("is longer than {limit} characters: cut to {limit}")
STATUS_LEFT = gettext_lazy("{problem}: the status is left as it is (New for a new lead)")
MIN_OVER_MAX = gettext_lazy("the budget from, {low:,}, is more than the budget up to, {high:,}")
NOT_A_DATE = gettext_lazy("“{value}” is not a date (e.g. 2026-03-14)")
# Where a consent kept from a file came from.
FROM_LINE = "{file}, line {line}"
ERASED_BEFORE = gettext_lazy(
    "{count:,} of the new leads were erased earlier at their request: they come in opted "
    "out and are never emailed."
)
IMPORTED = gettext_lazy(
    "Imported %(rows)s rows: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, "
    "%(rejected)s rejected."
)
WOULD_IMPORT = gettext_lazy(
    "Would import %(rows)s rows: %(created)s new, %(updated)s updated, %(unchanged)s "
    "unchanged, %(rejected)s rejected."
)
COLUMNS_NOT_IMPORTED = gettext_lazy("Columns not imported: %(columns)s.")
WITHOUT = {
    "first_name": gettext_lazy("a first name"),
    "last_name": gettext_lazy("a last name"),
    "city": gettext_lazy("a city"),
    "source": gettext_lazy("a source"),
    "budget_min": gettext_lazy("a budget from"),
    "budget_max": gettext_lazy("a budget up to"),
    "budget": gettext_lazy("a budget"),
    "phone": gettext_lazy("a phone number"),
}
# COMMON_ADDRESS: Django's EmailValidator, in one compiled pattern for the usual address (a
# dot-atom and a host name): its own host, domain and TLD parts, and its dot-atom copied
# from it. A match is an address Django accepts; anything else goes to Django's validator.
COMMON_ADDRESS = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*@"
    + EmailValidator.hostname_re
    + EmailValidator.domain_re
    + EmailValidator.tld_no_fqdn_re
    + r"\Z",
    re.IGNORECASE,
)


def batch_size() -> int:
    return settings.LEAD_IMPORT_BATCH_SIZE


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0  # rows kept out of the import (a row may have several errors)
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first ERRORS_KEPT
    # Rows imported with a value left out or read otherwise (an agent the agency does not
    # have, an amount that is not one, a status we do not know).
    change_count: int = 0
    changes: list[RowError] = field(default_factory=list)  # the first ERRORS_KEPT
    # Columns nothing was read from ("Name: the file has first and last name columns"),
    # and columns kept as custom fields (header, key).
    skipped_columns: list[str] = field(default_factory=list)
    custom_columns: list[tuple[str, str]] = field(default_factory=list)
    read_as: str = ""  # how the file was read: "CSV, Windows-1252, separated by ;"
    sheets: list[str] = field(default_factory=list)  # a workbook's sheets
    mapping: dict[str, Any] = field(default_factory=dict)  # the one used, Mapping.as_json
    # New rows whose address belongs to a lead erased at their request: kept opted out.
    erased_before: int = 0
    dry_run: bool = False
    # A sample of what will happen, for the admin preview: (line, kind, values).
    sample: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)

    def record(self, errors: list[RowError]) -> None:
        self.rejected += len({error.line for error in errors})
        self.error_count += len(errors)
        self.errors.extend(errors[: max(0, ERRORS_KEPT - len(self.errors))])

    def note(self, changes: list[RowError]) -> None:
        self.change_count += len(changes)
        self.changes.extend(changes[: max(0, ERRORS_KEPT - len(self.changes))])

    def summary(self) -> str:
        """The counts in one paragraph, in the active language."""
        counts = {
            name: f"{getattr(self, name):,}"
            for name in ("rows", "created", "updated", "unchanged", "rejected")
        }
        text = (WOULD_IMPORT if self.dry_run else IMPORTED) % counts
        if self.change_count:
            text += " " + ngettext(
                "%(n)s value left out or changed.",
                "%(n)s values left out or changed.",
                self.change_count,
            ) % {"n": f"{self.change_count:,}"}
        if self.skipped_columns:
            text += " " + COLUMNS_NOT_IMPORTED % {"columns": "; ".join(self.skipped_columns)}
        if self.erased_before:
            text += " " + ERASED_BEFORE.format(count=self.erased_before)
        return text

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [asdict(error) for error in self.errors]
        data["changes"] = [asdict(change) for change in self.changes]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ImportReport":
        report = cls(**{**data, "errors": [], "changes": []})
        report.errors = [RowError(**error) for error in data["errors"]]
        report.changes = [RowError(**change) for change in data["changes"]]
        report.custom_columns = [tuple(pair) for pair in data["custom_columns"]]
        report.sample = [tuple(item) for item in data["sample"]]
        return report


# Called after each batch: leads written so far, and how much of the file was read (0 to 1).
Progress = Callable[[int, float], None]


def _limit_error(name: str, value: object, cell: str) -> str:
    """The model field's own validators on one value ("" when it passes them all: a row
    that does is one the database takes)."""
    try:
        LEAD_FIELDS[name].run_validators(value)
    except ValidationError as error:
        first = error.error_list[0]
        limit = (first.params or {}).get("limit_value")
        messages = {
            "invalid": NOT_AN_EMAIL.format(value=shown(cell)),
            "max_length": TOO_LONG.format(limit=limit),
            "max_value": TOO_LARGE.format(value=shown(cell), limit=limit),
        }
        return messages.get(first.code or "", " ".join(error.messages))
    return ""


class _Row:
    """One row being read: the lead's values, and what is wrong or changed in it."""

    __slots__ = (
        "changes",
        "custom",
        "email_column",
        "errors",
        "full",
        "high",
        "line",
        "low",
        "tags",
        "values",
    )

    def __init__(self, line: int) -> None:
        self.line = line
        self.email_column = ""
        self.values: dict[str, Any] = {}
        self.errors: list[RowError] = []
        self.changes: list[RowError] = []
        self.full = ""
        self.low: tuple[int, Column] | None = None
        self.high: tuple[int, Column] | None = None
        self.tags: list[str] = []
        self.custom: dict[str, str] = {}

    def change(self, column: Column, message: str) -> None:
        self.changes.append(RowError(self.line, column.label, message))


class RowReader:
    """Turns a file's rows into lead values, column by column as the mapping says."""

    def __init__(self, mapping: Mapping, organization: Organization) -> None:
        self.mapping = mapping
        self.country = organization.country
        self.width = len(mapping.columns)
        self.email_columns = mapping.of("email")
        handlers = {
            "email": self._email,
            "first_name": self._text,
            "last_name": self._text,
            "city": self._text,
            "source": self._text,
            "full_name": self._full_name,
            "phone": self._phone,
            "status": self._status,
            "budget_min": self._budget,
            "budget_max": self._budget,
            "budget": self._budget,
            "agent": self._agent,
            "tags": self._tags,
            "consent": self._consent,
            "consent_date": self._consent_date,
            CUSTOM: self._custom,
        }
        # (cell index, column, handler) for every column something is read from.
        self.plan = [
            (column.index, column, handlers[column.target])
            for column in mapping.columns
            if column.target in handlers
        ]

    def read(self, cells_of_row: list[str], line: int) -> _Row:
        row = _Row(line)
        count = len(cells_of_row)
        if count > self.width and any(cell.strip() for cell in cells_of_row[self.width :]):
            message = EXTRA_CELLS.format(cells=count, columns=self.width)
            row.errors.append(RowError(line, "", message))
        for index, column, handler in self.plan:
            if index < count:
                # A tab or line break inside a cell becomes a space (crm.plain_text).
                cell = without_control_characters(cells_of_row[index]).strip()
                if cell and not cells.is_blank(cell):
                    handler(row, column, cell)
        self._finish(row)
        return row

    def _email(self, row: _Row, column: Column, cell: str) -> None:
        if "email" not in row.values:
            row.values["email"] = cell
            row.email_column = column.label

    def _text(self, row: _Row, column: Column, cell: str) -> None:
        name = column.target
        if name in row.values:
            return
        limit = _max_length(name)
        if len(cell) > limit:
            problem = f"“{shown(cell)}” {TOO_LONG.format(limit=limit)}"
            row.change(column, LEFT_OUT.format(problem=problem, what=WITHOUT[name]))
            return
        row.values[name] = cell

    def _full_name(self, row: _Row, column: Column, cell: str) -> None:
        if not row.full:
            row.full = cell

    def _phone(self, row: _Row, column: Column, cell: str) -> None:
        if "phone" in row.values:
            return
        try:
            row.values["phone"] = cells.read_phone(cell, self.country)
        except ValueProblem as problem:
            limit = _max_length("phone")
            if len(cell) > limit:
                row.change(column, LEFT_OUT.format(problem=problem, what=WITHOUT["phone"]))
                return
            row.values["phone"] = cell
            row.change(column, KEPT_AS_WRITTEN.format(problem=problem))

    def _status(self, row: _Row, column: Column, cell: str) -> None:
        if "status" in row.values:
            return
        status = self.mapping.status_for(cell)
        if status:
            row.values["status"] = status
        else:
            problem = cells.UNKNOWN_STATUS.format(value=shown(cell))
            row.change(column, STATUS_LEFT.format(problem=problem))

    def _budget(self, row: _Row, column: Column, cell: str) -> None:
        try:
            low, high = cells.read_amounts(cell)
        except ValueProblem as problem:
            what = WITHOUT[column.target]
            row.change(column, LEFT_OUT.format(problem=problem, what=what))
            return
        if low is not None and high is not None and low == high:
            # One amount: the bottom of the budget in a "from" column, else its top.
            if column.target == "budget_min":
                high = None
            else:
                low = None
        for end, amount in (("low", low), ("high", high)):
            if amount is None or getattr(row, end) is not None:
                continue
            name = "budget_min" if end == "low" else "budget_max"
            if too_big := _limit_error(name, amount, cell):
                row.change(column, LEFT_OUT.format(problem=too_big, what=WITHOUT[name]))
                continue
            setattr(row, end, (amount, column))

    def _agent(self, row: _Row, column: Column, cell: str) -> None:
        if "agent" not in row.values:
            row.values["agent"] = (cell, column)

    def _tags(self, row: _Row, column: Column, cell: str) -> None:
        row.tags.extend(cells.read_tags(cell))

    def _consent(self, row: _Row, column: Column, cell: str) -> None:
        """How the agency may email the lead ("Yes", "Enquiry", "Past client"...), kept as a
        consent record naming the file and the line. A word we do not know refuses the
        row: a lead's consent is not guessed."""
        try:
            row.values["consent_basis"] = consent.read_basis(cell)
        except ValueError as problem:
            row.errors.append(RowError(row.line, column.label, str(problem)))

    def _consent_date(self, row: _Row, column: Column, cell: str) -> None:
        try:
            row.values["consent_date"] = datetime.date.fromisoformat(cells.read_date(cell))
        except (ValueProblem, ValueError):
            message = NOT_A_DATE.format(value=shown(cell))
            row.errors.append(RowError(row.line, column.label, message))

    def _custom(self, row: _Row, column: Column, cell: str) -> None:
        if column.is_date:
            try:
                cell = cells.read_date(cell)
            except ValueProblem as problem:
                row.change(column, KEPT_AS_WRITTEN.format(problem=problem))
        if len(cell) > CUSTOM_LENGTH:
            row.change(column, CUT_SHORT.format(limit=CUSTOM_LENGTH))
            cell = cell[:CUSTOM_LENGTH]
        row.custom[column.custom_key] = cell

    def _finish(self, row: _Row) -> None:
        values = row.values
        if row.full and "first_name" not in values and "last_name" not in values:
            first, last = split_full_name(row.full)
            values["first_name"], values["last_name"] = first[:100], last[:100]
        email = values.get("email", "")
        label = row.email_column or (self.email_columns[0].label if self.email_columns else "email")
        if not email:
            row.errors.append(RowError(row.line, label, str(IS_EMPTY)))
        else:
            # The hot loop's fast path: 1 µs a row where the validators take 9. An international
            # domain goes through them: it must have an IDNA form (crm.email_addresses).
            short = len(email) <= _EMAIL_LENGTH
            common = short and email.isascii() and COMMON_ADDRESS.match(email)
            if not common and (problem := _limit_error("email", email, email)):
                row.errors.append(RowError(row.line, label, problem))
        if row.low and row.high and row.low[0] > row.high[0]:
            message = MIN_OVER_MAX.format(low=row.low[0], high=row.high[0])
            row.change(row.low[1], LEFT_OUT.format(problem=message, what=WITHOUT["budget"]))
        else:
            if row.low:
                values["budget_min"] = row.low[0]
            if row.high:
                values["budget_max"] = row.high[0]
        if row.tags:
            values["tags"] = row.tags
        if row.custom:
            values["custom"] = row.custom


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


def _chunks(keys: list[Any], model: type) -> list[list[Any]]:
    connection = connections[router.db_for_read(model)]
    # SQLite caps a query's parameters (999 here); PostgreSQL has no such cap (None).
    cap = connection.features.max_query_params
    size = batch_size() if cap is None else max(1, min(batch_size(), cap - 10))
    return [keys[start : start + size] for start in range(0, len(keys), size)]


def _existing_leads(organization: Organization, emails: list[str]) -> dict[str, Lead]:
    found: dict[str, Lead] = {}
    for chunk in _chunks(emails, Lead):
        for lead in leads_by_address(organization, chunk):
            found[lead.email.lower()] = lead
    return found


@dataclass
class _Changes:
    """What one batch changes: new leads, updated leads and their fields, the tags to add
    (lead, lower-case tag names), and the lines of the leads whose consent the file sets
    (by lower-case address)."""

    new: list[Lead] = field(default_factory=list)
    updated: list[Lead] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)
    tags: list[tuple[Lead, list[str]]] = field(default_factory=list)
    consented: dict[str, int] = field(default_factory=dict)


class _TagBook:
    """The organization's tags by lower-case name, read once, added as an import meets them."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.ids: dict[str, int] | None = None

    def ids_for(self, names: dict[str, str], write: bool) -> dict[str, int]:
        """Ids of these tags (lower-case name: as written), made when missing and `write`."""
        if self.ids is None:
            self.ids = {
                tag.name.lower(): tag.pk
                for tag in Tag.objects.filter(organization=self.organization)
            }
        missing = [name for name in names if name not in self.ids]
        if missing and write:
            Tag.objects.bulk_create(
                [Tag(organization=self.organization, name=names[key]) for key in missing],
                ignore_conflicts=True,
            )
            made = Tag.objects.filter(organization=self.organization).annotate(key=Lower("name"))
            for chunk in _chunks(missing, Tag):
                self.ids.update(made.filter(key__in=chunk).values_list("key", "pk"))
        return self.ids


@dataclass
class _Run:
    """One import under way: its report, its options and the addresses read so far."""

    organization: Organization
    reader: RowReader
    report: ImportReport
    seen: "SeenAddresses | _NothingSeen"
    sample_size: int
    on_error: Callable[[RowError], None] | None
    write: bool
    members: MemberLookup | None = None
    tag_book: _TagBook | None = None

    def batch(self, rows: list[tuple[int, list[str]]]) -> _Changes:
        """Check and classify one batch of rows, and report on it."""
        cleaned, errors, changes = self._clean(rows)
        changes += self._agents(cleaned)
        result = self._classify(cleaned)
        errors.sort(key=lambda error: error.line)
        changes.sort(key=lambda change: change.line)
        self.report.rows += len(rows)
        self.report.created += len(result.new)
        self.report.updated += len(result.updated)
        self.report.record(errors)
        self.report.note(changes)
        if self.on_error:
            for problem in sorted(errors + changes, key=lambda problem: problem.line):
                self.on_error(problem)
        return result

    def _agents(self, cleaned: dict) -> list[RowError]:
        """Each row's agent cell becomes its lead's owner. A cell that names no member (or
        several) loses nothing else: the row is imported without it, and reported."""
        changes = []
        for line, values in cleaned.values():
            if "agent" not in values:
                continue
            if self.members is None:
                self.members = MemberLookup(self.organization)
            cell, column = values.pop("agent")
            try:
                values["owner_id"] = self.members.match(cell)
            except AgentNotFound as problem:
                changes.append(RowError(line, column.label, str(problem)))
        return changes

    def _clean(self, rows: list[tuple[int, list[str]]]) -> tuple[dict, list, list]:
        """The good rows by lower-case address, first come first kept, and the errors and
        changes."""
        errors: list[RowError] = []
        changes: list[RowError] = []
        cleaned: dict[str, tuple[int, dict]] = {}
        repeated: list[tuple[int, dict, int]] = []
        for line, row_cells in rows:
            row = self.reader.read(row_cells, line)
            key = str(row.values.get("email", "")).lower()
            if row.errors:
                errors += row.errors
                continue
            changes += row.changes
            if key in cleaned:
                repeated.append((line, row.values, cleaned[key][0]))
            else:
                cleaned[key] = (line, row.values)
        for key, first in self.seen.first_lines(cleaned).items():
            line, found = cleaned.pop(key)
            repeated.append((line, found, first))
        self.seen.add({key: line for key, (line, _) in cleaned.items()})
        label = self.reader.email_columns[0].label if self.reader.email_columns else "email"
        for line, found, first in repeated:
            message = ALREADY_IN_FILE.format(email=found["email"], first=first)
            errors.append(RowError(line, label, message))
        return cleaned, errors, changes

    def _tags_of(self, leads: list[Lead]) -> dict[Any, set[int]]:
        """The tags (ids) the existing leads have already."""
        through = Lead.tags.through
        held: dict[Any, set[int]] = {lead.pk: set() for lead in leads}
        for chunk in _chunks(list(held), through):
            for lead_id, tag_id in through.objects.filter(lead_id__in=chunk).values_list(
                "lead_id", "tag_id"
            ):
                held[lead_id].add(tag_id)
        return held

    def _classify(self, cleaned: dict) -> _Changes:
        changes, report = _Changes(), self.report
        existing = _existing_leads(self.organization, list(cleaned))
        with_tags = [
            existing[key]
            for key, (_, values) in cleaned.items()
            if "tags" in values and key in existing
        ]
        held = self._tags_of(with_tags) if with_tags else {}
        if any("tags" in values for _, values in cleaned.values()):
            if self.tag_book is None:
                self.tag_book = _TagBook(self.organization)
            names = {
                tag.lower(): tag for _, values in cleaned.values() for tag in values.get("tags", ())
            }
            tag_ids = self.tag_book.ids_for(names, self.write)
        else:
            tag_ids = {}
        for key, (line, values) in cleaned.items():
            lead = existing.get(key)
            tags = [tag.lower() for tag in values.get("tags", ())]
            if lead is None:
                lead = Lead(organization=self.organization, **_fields(values))
                lead.name = full_name(lead.first_name, lead.last_name)
                changes.new.append(lead)
                kind = "create"
                if "consent_basis" in values or "consent_date" in values:
                    changes.consented[key] = line
            else:
                changed = {
                    name: value
                    for name, value in _fields(values).items()
                    if name != "email" and getattr(lead, name) != value
                }
                if "custom" in changed:
                    merged = {**lead.custom, **values["custom"]}
                    if merged == lead.custom:
                        del changed["custom"]
                    else:
                        changed["custom"] = merged
                for name, value in changed.items():
                    setattr(lead, name, value)
                name = full_name(lead.first_name, lead.last_name)
                if ("first_name" in changed or "last_name" in changed) and name != lead.name:
                    lead.name = name
                    changed["name"] = name
                new_tags = [tag for tag in tags if tag_ids.get(tag) not in held.get(lead.pk, ())]
                if not changed and not new_tags:
                    report.unchanged += 1
                    continue
                tags = new_tags
                changes.fields.update(changed)
                changes.updated.append(lead)
                kind = "update"
                if {"consent_basis", "consent_date"} & set(changed):
                    changes.consented[key] = line
            if tags:
                changes.tags.append((lead, tags))
            if len(report.sample) < self.sample_size:
                report.sample.append((line, kind, _shown(values)))
        self._keep_erased_opted_out(changes.new)
        return changes

    def _keep_erased_opted_out(self, new: list[Lead]) -> None:
        """A new lead whose address belongs to a lead erased at their request (its hash is
        on the suppression list) comes in opted out: the import cannot email them again."""
        erased = forgotten_among(self.organization.pk, [lead.email for lead in new])
        now = timezone.now()
        for lead in new:
            if lead.email in erased:
                lead.unsubscribed_at = now
        self.report.erased_before += len(erased)

    def save(
        self, changes: _Changes, source_name: str, consent_source: str = ConsentRecord.Source.IMPORT
    ) -> None:
        insert_many(changes.new)
        # updated_at is auto_now: its pre_save stamps it during the update.
        update_many(changes.updated, field_names=sorted(changes.fields | {"updated_at"}))
        if changes.tags and self.tag_book and self.tag_book.ids:
            through = Lead.tags.through
            ids = self.tag_book.ids
            links = [
                through(lead_id=lead.pk, tag_id=ids[tag])
                for lead, tags in changes.tags
                for tag in dict.fromkeys(tags)
                if tag in ids
            ]
            through.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)
        leads = [*changes.new, *changes.updated]
        _record_consent(leads, changes.consented, source_name, consent_source)


def _record_consent(
    leads: list[Lead], lines: dict[str, int], source_name: str, source: str
) -> None:
    """A consent record for each lead whose consent the file (or form) set (CASL s. 13: the
    sender proves consent; the file and its line, or the form, say where it came from)."""
    if not lines:
        return

    def where(line: int) -> str:
        if source != ConsentRecord.Source.IMPORT:
            return source_name
        return FROM_LINE.format(file=source_name or "import", line=line)

    consent.consent_records_many(
        [
            ConsentRecord(
                organization_id=lead.organization_id,
                lead=lead,
                basis=lead.consent_basis,
                given_on=lead.consent_date,
                source=source,
                source_detail=where(lines[key])[:500],
            )
            for lead in leads
            if (key := lead.email.lower()) in lines
        ]
    )


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    """The values that are columns of the lead (tags are links, not a column)."""
    return {name: value for name, value in values.items() if name != "tags"}


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """A row's values as the preview shows them (JSON: the report may be kept)."""
    shown_values = dict(values)
    shown_values.pop("owner_id", None)
    shown_values["name"] = full_name(values.get("first_name", ""), values.get("last_name", ""))
    low, high = values.get("budget_min"), values.get("budget_max")
    shown_values["budget"] = cells.amounts_written(low, high) if low or high else ""
    if "status" in values:
        shown_values["status"] = str(Lead.Status(values["status"]).label)
    return shown_values


def _max_length(name: str) -> int:
    """The model's limit for a text field of the lead."""
    limit = LEAD_FIELDS[name].max_length
    assert limit is not None, name
    return limit


def custom_fields_record(organization: Organization, custom_columns: list[tuple[str, str]]) -> None:
    """The agency's custom fields gain the columns an import kept (templates, filters)."""
    CustomField.objects.bulk_create(
        [
            CustomField(organization=organization, key=key, label=header[:200])
            for header, key in custom_columns
        ],
        ignore_conflicts=True,
    )


@dataclass
class Resume:
    """A background import that commits batch by batch and can be taken up again where it
    stopped: rows up to `after_line` were written by an earlier run (`report` counts them);
    the addresses read are kept in `seen_file`; `save` records each batch's progress in the
    same transaction as its leads."""

    after_line: int
    report: ImportReport
    seen_file: Path
    save: Callable[[int, ImportReport], None]


def leads_import(
    *,
    organization: Organization,
    data: bytes | BinaryIO,
    mapping: Mapping | None = None,
    sheet: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
    sample_size: int = 0,
    on_error: Callable[[RowError], None] | None = None,
    resume: Resume | None = None,
    look: Callable[[list[str], list[tuple[int, list[str]]]], None] | None = None,
    source_name: str = "",
) -> ImportReport:
    """Create or update the organization's leads from a CSV or an .xlsx (bytes or a binary
    file), matching on email. Without a `mapping`, the agency's last one for this header,
    else the automatic one. The writes are one transaction (a file found broken at its last
    line leaves the leads as they were), or one per batch with `resume`."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    table = open_table(source, sheet=sheet)
    mapping = mapping or remembered_or_automatic(organization, table.header)
    if not mapping.of("email"):
        raise CsvFileError(str(NO_EMAIL))
    report = resume.report if resume else ImportReport()
    report.dry_run = dry_run
    report.read_as = table.described
    report.sheets = table.sheets
    report.mapping = mapping.as_json()
    report.skipped_columns = [
        f"{column.label} ({column.why})" if column.why else column.label
        for column in mapping.skipped
    ]
    report.custom_columns = [(column.label, column.custom_key) for column in mapping.of(CUSTOM)]
    written = report.created + report.updated
    seen = SeenAddresses(Path(settings.LEAD_IMPORT_DIR), resume.seen_file if resume else None)
    if resume:
        seen.forget_from(resume.after_line + 1)
    with nullcontext() if dry_run or resume else transaction.atomic(), seen:
        run = _Run(
            organization,
            RowReader(mapping, organization),
            report,
            seen,
            sample_size,
            on_error,
            write=not dry_run,
        )
        rows = table.rows
        if resume and resume.after_line:
            rows = itertools.dropwhile(lambda row: row[0] <= resume.after_line, rows)
        while batch := list(itertools.islice(rows, batch_size())):
            if look:
                look(table.header, batch)
            with transaction.atomic() if resume else nullcontext():
                changes = run.batch(batch)
                if not dry_run:
                    run.save(changes, source_name)
                    written += len(changes.new) + len(changes.updated)
                if resume:
                    resume.save(batch[-1][0], report)
            if progress:
                progress(written, table.position())
        if not dry_run:
            custom_fields_record(organization, report.custom_columns)
    return report


def remembered_or_automatic(organization: Organization, header: list[str]) -> Mapping:
    """The agency's last mapping for a file with this header, else the automatic one."""
    return remembered_mapping(organization, header) or columns_of.automatic(header)


class _NothingSeen:
    """The addresses read before a lead sent alone: none."""

    def first_lines(self, emails: Any) -> dict[str, int]:
        return {}

    def add(self, lines: Any) -> None:
        pass


def lead_upsert(
    *,
    organization: Organization,
    fields: dict[str, str],
    for_new: dict[str, Any] | None = None,
    source_name: str = "",
) -> tuple[ImportReport, Lead | None]:
    """One lead sent alone (a web form, n8n, Zapier), with the import's mapping and checks:
    its fields are read as a file's columns would be (`email`, `First Name`, `Budget`,
    `Tags`...; a field of no column of ours is a custom field), an existing lead (by
    email) is updated as an import would, and `for_new` gives a new lead what it lacks
    (its source, the key that brought it). Returns the report (errors: refused; changes:
    values left out) and the lead, or None when refused. A consent field is kept as a
    consent record from a web form, naming `source_name`."""
    header = list(fields)
    mapping = columns_of.automatic(header)
    if not mapping.of("email"):
        raise CsvFileError(str(NO_EMAIL))
    report = ImportReport()
    report.custom_columns = [(column.label, column.custom_key) for column in mapping.of(CUSTOM)]
    run = _Run(
        organization,
        RowReader(mapping, organization),
        report,
        _NothingSeen(),
        sample_size=0,
        on_error=None,
        write=True,
    )
    with transaction.atomic():
        changes = run.batch([(1, [str(fields[name]) for name in header])])
        if report.rejected:
            return report, None
        for lead in changes.new:
            for name, value in (for_new or {}).items():
                if not getattr(lead, name, None):
                    setattr(lead, name, value)
        run.save(changes, source_name, ConsentRecord.Source.FORM)
        custom_fields_record(organization, report.custom_columns)
    if changes.new or changes.updated:
        return report, [*changes.new, *changes.updated][0]
    emails = [str(fields[column.header]).strip() for column in mapping.of("email")]
    email = next((address for address in emails if address), "").lower()
    return report, leads_by_address(organization, [email]).first()
