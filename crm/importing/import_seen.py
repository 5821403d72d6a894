"""The addresses an import has already read, each with its first line, kept on disk.

A file under the upload cap can hold seven million rows; a Python dict of even 1.8 million
addresses takes 250 MB. A scratch SQLite file beside the uploads (not /tmp, which may be
memory) keeps the importer's memory the same for ten rows or millions. It is private to
one import and deleted when the import ends.
"""

import os
import sqlite3
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType

# Below SQLite's smallest limit on parameters per statement (999 before 3.32).
_CHUNK = 900
# The page cache bounds the memory SQLite takes; 16 MB keeps a file of millions quick.
_PRAGMAS = "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16000;"


class SeenAddresses:
    """Kept in a scratch file deleted at the end; or, for an import that may be taken up
    again after a crash, in `keep` (a path), which outlives it."""

    def __init__(self, folder: Path, keep: Path | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if keep is None:
            handle, name = tempfile.mkstemp(dir=folder, prefix="seen-", suffix=".sqlite3")
            os.close(handle)
            self._path = Path(name)
        else:
            self._path = keep
        self._keep = keep is not None
        self._db = sqlite3.connect(self._path)
        # A kept file must survive a crash: its journal stays on (synchronous off still).
        pragmas = _PRAGMAS.replace("journal_mode=OFF", "journal_mode=WAL") if keep else _PRAGMAS
        self._db.executescript(
            pragmas + "CREATE TABLE IF NOT EXISTS seen (email TEXT PRIMARY KEY, line INTEGER) "
            "WITHOUT ROWID;"
        )

    def forget_from(self, line: int) -> None:
        """Drop the addresses read from `line` on: a run stopped before writing them."""
        self._db.execute("DELETE FROM seen WHERE line >= ?", (line,))
        self._db.commit()

    def first_lines(self, emails: Iterable[str]) -> dict[str, int]:
        """The line where each of these (lower-case) addresses was first read, if it was."""
        keys, found = list(emails), dict[str, int]()
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT * FROM seen WHERE email IN ({marks})", chunk))
        return found

    def add(self, lines: Mapping[str, int]) -> None:
        self._db.executemany("INSERT INTO seen VALUES (?, ?)", lines.items())
        if self._keep:
            self._db.commit()

    def __enter__(self) -> "SeenAddresses":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._db.close()
        if not self._keep:
            self._path.unlink(missing_ok=True)
