"""A file of leads as a header and numbered rows of text, whatever it is: a CSV in any
encoding and delimiter, or a sheet of an Excel workbook."""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils.translation import gettext, gettext_lazy

from crm.importing.csv_reading import CsvFileError, Rows, read_csv
from crm.importing.xlsx_reading import read_xlsx

XLSX_SIGNATURE = b"PK\x03\x04"
# How other files begin (their "magic numbers"): named, the error says what was uploaded.
NOT_READABLE = {
    b"\xd0\xcf\x11\xe0": gettext_lazy("an old Excel .xls file or a password-protected workbook"),
    b"%PDF": gettext_lazy("a PDF"),
    b"\x89PNG": gettext_lazy("an image"),
    b"\xff\xd8\xff": gettext_lazy("an image"),
    b"{\\rtf": gettext_lazy("a Word or RTF document"),
}
NOT_A_TABLE = gettext_lazy(
    "This is {kind}, not a CSV file or an Excel workbook (.xlsx). In your spreadsheet, use "
    "“Save as” or “Download” and choose “CSV UTF-8” or “Excel Workbook (.xlsx)”."
)


# A delimiter as the preview names it ("separated by commas").
DELIMITER_NAMES = {
    ",": gettext_lazy("commas"),
    ";": gettext_lazy("semicolons"),
    "\t": gettext_lazy("tabs"),
    "|": gettext_lazy("bars"),
}


@dataclass
class Table:
    header: list[str]
    rows: Rows
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    # How much of the file was read so far, from 0 to 1.
    position: Callable[[], float] = lambda: 0.0

    @property
    def described(self) -> str:
        """How the file was read, for staff: "CSV, Windows-1252, separated by ;"."""
        if self.kind == "xlsx":
            return gettext("Excel workbook, sheet “%(sheet)s”") % {"sheet": self.sheet}
        return gettext("CSV, %(encoding)s, separated by %(delimiter)s") % {
            "encoding": encoding_name(self.encoding),
            "delimiter": DELIMITER_NAMES[self.delimiter],
        }


def encoding_name(codec: str) -> str:
    """A codec as Excel's menus call it."""
    return {
        "utf-8": "UTF-8",
        "utf-8-sig": gettext("UTF-8 with BOM"),
        "utf-16": gettext("UTF-16 (Unicode text)"),
        "utf-16-le": gettext("UTF-16 (Unicode text)"),
        "utf-16-be": gettext("UTF-16 (Unicode text)"),
        "utf-32": "UTF-32",
        "cp1252": "Windows-1252",
        "latin_1": "Latin-1 (ISO 8859-1)",
        "iso8859_15": "Latin-9 (ISO 8859-15)",
    }.get(codec, codec)


def kind_of(head: bytes) -> str:
    """ "xlsx", "csv", or why the file is neither (raises CsvFileError)."""
    if head.startswith(XLSX_SIGNATURE):
        return "xlsx"
    for signature, kind in NOT_READABLE.items():
        if head.startswith(signature):
            raise CsvFileError(NOT_A_TABLE.format(kind=str(kind)))
    return "csv"


def open_table(source: bytes | BinaryIO, *, sheet: str = "", encoding: str = "") -> Table:
    """Read a file's header and start on its rows. Raises CsvFileError for a file that
    cannot be read at all, naming the line where it can."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    source.seek(0)
    head = source.read(8)
    source.seek(0)
    if kind_of(head) == "xlsx":
        book = read_xlsx(source, sheet)
        return Table(
            book.header,
            book.rows,
            "xlsx",
            sheet=book.sheet,
            sheets=book.sheets,
            position=book.position,
        )
    size = max(source.seek(0, io.SEEK_END), 1)
    source.seek(0)
    found = read_csv(source, encoding or None)
    return Table(
        found.header,
        found.rows,
        "csv",
        found.encoding,
        found.delimiter,
        position=lambda: min(source.tell() / size, 1.0),
    )
