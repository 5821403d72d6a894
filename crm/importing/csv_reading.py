"""Reading an uploaded CSV as a stream of numbered rows, one line in memory at a time.

Shared by the lead importer and the suppression-list import. A file that is not readable
CSV (not UTF-8, a NUL byte, a broken quote, a row of a megabyte) raises CsvFileError
naming the line; a binary file is named as such even when another fault comes first.
"""

import csv
import io
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

# A row (all its physical lines) longer than this is not a lead: refusing it keeps one
# row's cells from taking the memory that streaming saves.
MAX_ROW_CHARS = 1024 * 1024
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
    # The lead's agent: a member of the agency, by email address or name (crm/owners.py).
    "agent": "agent",
    "owner": "agent",
    "agent_email": "agent",
    "owner_email": "agent",
    "agent_name": "agent",
    "assigned_to": "agent",
    # How the agency may email the lead, and since when (crm/consent.py).
    "consent": "consent",
    "consent_basis": "consent",
    "email_consent": "consent",
    "marketing_consent": "consent",
    "opt_in": "consent",
    "optin": "consent",
    "consent_date": "consent_date",
    "opt_in_date": "consent_date",
    "consent_given": "consent_date",
    "consented_at": "consent_date",
}
NOT_UTF8 = "Line {line} is not valid UTF-8. Save the file as “CSV UTF-8” and try again."
NUL_BYTE = "Line {line} contains a NUL byte: this looks like a binary file, not a CSV."
BROKEN_CSV = "Line {line} could not be read as CSV: {reason}."
ROW_TOO_LONG = "Line {line} starts a row longer than {limit:,} characters: is this a CSV?"
EMPTY_FILE = "The file is empty."
NO_EMAIL_COLUMN = "The header has no email column (found: {found})."

Rows = Iterator[tuple[int, list[str]]]


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


def shown(cell: str) -> str:
    """A cell quoted in a message, cut short: a 100 KB cell must not make a 100 KB page."""
    return cell if len(cell) <= 60 else cell[:60] + "…"


class _Lines:
    """The file's lines for csv.reader, decoded one at a time and numbered; `row_start`
    and `row_chars` follow the row being read (a quoted cell can span lines)."""

    def __init__(self, source: BinaryIO) -> None:
        # surrogateescape: a byte that is not UTF-8 reaches us, so its line can be named.
        self.text = io.TextIOWrapper(
            source, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        self.number = 0
        self.row_start = 1
        self.row_chars = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = self.text.readline(MAX_ROW_CHARS + 1)
        if not line:
            raise StopIteration
        self.number += 1
        self.row_chars += len(line)
        if "\x00" in line:
            raise CsvFileError(NUL_BYTE.format(line=self.number))
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:
                raise CsvFileError(NOT_UTF8.format(line=self.number)) from None
        if self.row_chars > MAX_ROW_CHARS:
            raise CsvFileError(ROW_TOO_LONG.format(line=self.row_start, limit=MAX_ROW_CHARS))
        return line

    def next_row(self) -> None:
        self.row_start, self.row_chars = self.number + 1, 0


def _nul_line(source: BinaryIO) -> int | None:
    """The line of the file's first NUL byte, if any."""
    source.seek(0)
    line = 1
    while chunk := source.read(1024 * 1024):
        if b"\x00" in chunk:
            return line + chunk[: chunk.index(b"\x00")].count(b"\n")
        line += chunk.count(b"\n")
    return None


@contextmanager
def _faults_named(source: BinaryIO, lines: _Lines) -> Iterator[None]:
    """Turn any fault of the file into a CsvFileError naming its line. A binary file is
    called binary even when a byte that is not UTF-8 comes before its first NUL."""
    try:
        yield
    except (csv.Error, CsvFileError) as error:
        message = (
            BROKEN_CSV.format(line=lines.row_start, reason=error)
            if isinstance(error, csv.Error)
            else str(error)
        )
        nul = _nul_line(source)
        raise CsvFileError(NUL_BYTE.format(line=nul) if nul else message) from None


def _header_key(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


def read_rows(source: bytes | BinaryIO) -> tuple[list[str], list[str], Rows]:
    """Return (columns, ignored header names, rows as (line number, cells)). The rows are
    read as they are consumed, and a fault in them raises CsvFileError then."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    lines = _Lines(source)
    with _faults_named(source, lines):
        first = next(lines, "")
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
        header = [name.strip() for name in next(reader, [])]
        if not any(header) and not any(line.strip() for line in lines):
            raise CsvFileError(EMPTY_FILE)
    columns = [HEADER_ALIASES.get(_header_key(name), "") for name in header]
    ignored = [name for name, column in zip(header, columns, strict=True) if not column and name]
    if "email" not in columns:
        found = ", ".join(name for name in header if name) or "nothing"
        raise CsvFileError(NO_EMAIL_COLUMN.format(found=found))

    def rows() -> Rows:
        lines.next_row()
        try:
            with _faults_named(source, lines):
                for cells in reader:
                    if any(cell.strip() for cell in cells):
                        yield lines.row_start, cells
                    lines.next_row()
        finally:
            # The decoder would close the caller's file when collected.
            lines.text.detach()

    return columns, ignored, rows()
