"""Reading the first sheet (or a chosen one) of an Excel workbook (.xlsx) as numbered rows
of text, with the same shape as a CSV's: openpyxl's read-only mode streams the rows, so a
sheet of a million rows takes the memory of one.

Cells come as Excel keeps them: numbers are written without a trailing ".0" (a phone
number or a price typed as a number), dates as YYYY-MM-DD, other values as text.
"""

import datetime
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.conf import settings
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from crm.importing.csv_reading import EMPTY_FILE, CsvFileError, Rows

NOT_A_WORKBOOK = gettext_lazy(
    "This .xlsx file cannot be read ({reason}). Open it in Excel and save it again."
)
TOO_BIG_INSIDE = gettext_lazy(
    "This workbook unpacks to more than {limit} MB: save its sheet as CSV and import that."
)
NO_SUCH_SHEET = gettext_lazy("The workbook has no sheet named “{sheet}” (its sheets: {sheets}).")


def cell_text(value: Any) -> str:
    """A cell's value as the text a CSV of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


@dataclass
class XlsxTable:
    header: list[str]
    rows: Rows
    sheet: str
    sheets: list[str] = field(default_factory=list)
    position: Callable[[], float] = lambda: 0.0  # the share of the sheet's rows read


def _check_size(source: BinaryIO) -> None:
    """A workbook is a zip: refuse one whose content unpacks past the cap (a zip bomb
    would keep a worker busy for nothing)."""
    limit = settings.LEAD_IMPORT_MAX_XLSX_UNPACKED
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except zipfile.BadZipFile as error:
        raise CsvFileError(NOT_A_WORKBOOK.format(reason=error)) from None
    finally:
        source.seek(0)
    if unpacked > limit:
        raise CsvFileError(TOO_BIG_INSIDE.format(limit=limit // (1024 * 1024)))


def read_xlsx(source: BinaryIO, sheet: str = "") -> XlsxTable:
    """Open a workbook's sheet (the first unless `sheet` names another); its header is its
    first row with anything in it. Raises CsvFileError for a file that is not a workbook."""
    _check_size(source)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise CsvFileError(NOT_A_WORKBOOK.format(reason=type(error).__name__)) from None
    names = list(workbook.sheetnames)
    if sheet and sheet not in names:
        workbook.close()
        raise CsvFileError(NO_SUCH_SHEET.format(sheet=sheet, sheets=", ".join(names)))
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    # The size the file states, for the progress only: some writers store a wrong one
    # (A1:A1), so every row there is gets read.
    stated = worksheet.max_row or 0
    worksheet.reset_dimensions()
    numbered = enumerate(worksheet.iter_rows(values_only=True), start=1)
    last = [0]

    def texts() -> Iterator[tuple[int, list[str]]]:
        for line, values in numbered:
            last[0] = line
            yield line, [cell_text(value) for value in values]

    rows = texts()
    header: list[str] = []
    for _line, cells in rows:
        if any(cells):
            header = cells
            break
    if not header:
        workbook.close()
        raise CsvFileError(str(EMPTY_FILE))
    while header and not header[-1]:
        header.pop()

    def body() -> Rows:
        try:
            for line, cells in rows:
                if any(cells):
                    yield line, cells
        finally:
            workbook.close()

    def position() -> float:
        return min(last[0] / stated, 1.0) if stated > 1 else 0.0

    return XlsxTable(header, body(), worksheet.title, names, position)
