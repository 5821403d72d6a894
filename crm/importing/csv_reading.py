"""Reading an uploaded CSV as a stream of numbered rows, one line in memory at a time.

Shared by the lead importer and the suppression-list import. The encoding is found first
(`detect_encoding`): a byte-order mark, UTF-16 without one (Excel's "Unicode text"),
strict UTF-8, else the Western code page charset-normalizer finds (Excel on Windows
writes Windows-1252). The delimiter is the header's: comma, semicolon (Excel in Europe),
tab ("Unicode text") or bar. A file that is not readable CSV (a NUL byte, a broken quote,
a row of a megabyte) raises CsvFileError naming the line; a binary file is named as such
even when another fault comes first.
"""

import codecs
import contextlib
import csv
import io
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from charset_normalizer import from_bytes
from django.utils.translation import gettext, gettext_lazy

# A row (all its physical lines) longer than this is not a lead: refusing it keeps one
# row's cells from taking the memory that streaming saves.
MAX_ROW_CHARS = 1024 * 1024
MIXED_UTF8 = gettext_lazy(
    "Line {line} is not valid UTF-8, though the rest of the file is: the file mixes two "
    "encodings. Save it again as “CSV UTF-8” and try again."
)
NUL_BYTE = gettext_lazy(
    "Line {line} contains a NUL byte: this looks like a binary file, not a CSV."
)
BROKEN_CSV = gettext_lazy("Line {line} could not be read as CSV: {reason}.")
ROW_TOO_LONG = gettext_lazy(
    "Line {line} starts a row longer than {limit:,} characters: is this a CSV?"
)
EMPTY_FILE = gettext_lazy("The file is empty.")
DELIMITERS = (",", ";", "\t", "|")
# Bytes Windows-1252 leaves undefined: a file holding one is Latin-1.
_NOT_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
# What charset-normalizer chooses from for a file that is not UTF-8: Western code pages.
# Unrestricted, it takes short Western text for Central European or Urdu code pages.
SINGLE_BYTE = ["cp1252", "latin_1", "iso8859_15"]
_SAMPLE_BYTES = 64 * 1024
_VALID_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")

Rows = Iterator[tuple[int, list[str]]]


class CsvFileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""


@dataclass
class RowError:
    """A row refused, or imported with a value left out or read otherwise: its line, the
    file's column, and what was read and why."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            where = gettext("line %(line)s, %(column)s") % {
                "line": self.line,
                "column": self.column,
            }
        else:
            where = gettext("line %(line)s") % {"line": self.line}
        return f"{where}: {self.message}"


def _utf16_without_bom(head: bytes) -> str:
    """Excel's "Unicode text" written without a mark: NUL bytes on every other position."""
    if len(head) < 8:
        return ""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd >= 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even >= 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return ""


def detect_encoding(source: BinaryIO) -> str:
    """The file's encoding, as a Python codec name. A byte-order mark says it; BOM-less
    UTF-16 shows in its NUL bytes; a file that decodes as UTF-8 is UTF-8; otherwise
    charset-normalizer picks among Western code pages from the lines with accents.
    Reads the whole file once (a few milliseconds a megabyte) and rewinds it."""
    source.seek(0)
    head = source.read(4096)
    source.seek(0)
    for mark, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(mark):
            return name
    if utf16 := _utf16_without_bom(head):
        return utf16
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, sample, undefined, in_utf8, high = True, bytearray(), False, 0, 0
    bad_line, line = 0, 1
    for chunk in iter(lambda: source.read(1024 * 1024), b""):
        if chunk.isascii():
            line += chunk.count(b"\n")
            continue
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                utf8, bad_line = False, line + chunk[: error.start].count(b"\n")
        undefined = undefined or any(byte in chunk for byte in _NOT_CP1252)
        in_utf8 += sum(len(match) for match in _VALID_MULTIBYTE.findall(chunk))
        high += len(_HIGH_BYTE.findall(chunk))
        for text in chunk.splitlines(keepends=True):
            if len(sample) < _SAMPLE_BYTES and not text.isascii():
                sample += text
        line += chunk.count(b"\n")
    source.seek(0)
    if utf8:
        try:
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            return "latin_1"  # a file cut in the middle of a character
    # More bytes in UTF-8 characters than stray ones: a UTF-8 file with a foreign line.
    if in_utf8 >= high - in_utf8:
        raise CsvFileError(MIXED_UTF8.format(line=bad_line))
    candidates = [name for name in SINGLE_BYTE if not (undefined and name == "cp1252")]
    best = from_bytes(bytes(sample), cp_isolation=candidates).best()
    return best.encoding if best is not None else candidates[0]


class _Text(io.TextIOWrapper):
    """Text read from the caller's file, which it leaves open when it goes (a wrapper
    collected would close it, even when its rows were never read)."""

    def close(self) -> None:
        with contextlib.suppress(ValueError):  # detached already
            self.detach()


class _Lines:
    """The file's lines for csv.reader, decoded one at a time and numbered; `row_start`
    and `row_chars` follow the row being read (a quoted cell can span lines)."""

    def __init__(self, source: BinaryIO, encoding: str) -> None:
        self.text = _Text(source, encoding=encoding, errors="strict", newline="")
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
def _faults_named(source: BinaryIO, lines: _Lines, wide: bool) -> Iterator[None]:
    """Turn any fault of the file into a CsvFileError naming its line. A binary file is
    called binary even when another fault comes before its first NUL (UTF-16 files, whose
    text is half NUL bytes, excepted)."""
    try:
        yield
    except (csv.Error, CsvFileError, UnicodeDecodeError) as error:
        if isinstance(error, csv.Error):
            message = BROKEN_CSV.format(line=lines.row_start, reason=error)
        elif isinstance(error, UnicodeDecodeError):
            message = BROKEN_CSV.format(line=lines.number + 1, reason=error.reason)
        else:
            message = str(error)
        nul = None if wide else _nul_line(source)
        raise CsvFileError(NUL_BYTE.format(line=nul) if nul else message) from None


def _delimiter(first: str) -> str:
    """The header's delimiter: the most frequent of DELIMITERS outside quotes (comma on a tie)."""
    bare = re.sub(r'"[^"]*"', "", first)
    counts = {mark: bare.count(mark) for mark in DELIMITERS}
    best = max(DELIMITERS, key=lambda mark: counts[mark])
    return best if counts[best] > counts[","] else ","


@dataclass
class CsvTable:
    """A CSV file being read: its header, its rows as read (line number, cells), and how it
    was decoded."""

    header: list[str]
    rows: Rows
    encoding: str
    delimiter: str


def read_csv(source: bytes | BinaryIO, encoding: str | None = None) -> CsvTable:
    """Open a CSV (bytes or a binary file) for reading. The rows are read as they are
    consumed, and a fault in them raises CsvFileError then."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    encoding = encoding or detect_encoding(source)
    wide = encoding.startswith(("utf-16", "utf-32"))
    lines = _Lines(source, encoding)
    with _faults_named(source, lines, wide):
        first = next(lines, "")
        delimiter = _delimiter(first)
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
        header = [name.strip() for name in next(reader, [])]
        if not any(header) and not any(line.strip() for line in lines):
            raise CsvFileError(str(EMPTY_FILE))

    def rows() -> Rows:
        lines.next_row()
        try:
            with _faults_named(source, lines, wide):
                for cells in reader:
                    if any(cell.strip() for cell in cells):
                        yield lines.row_start, cells
                    lines.next_row()
        finally:
            lines.text.close()

    return CsvTable(header, rows(), encoding, delimiter)
