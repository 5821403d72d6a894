"""Our gettext catalogues, locale/<language>/LC_MESSAGES/django.po: compiled to the .mo files
Django reads in Python (Babel), so that no machine but a translator's needs GNU gettext;
and what makes one unfit to ship.

The .mo files are committed beside their .po (a checkout runs in every language as it is);
manage.py compile_catalogues writes them again after a .po changes, and the tests fail
while one is out of date or a .po has an entry untranslated, fuzzy, with a plural form
left empty or a placeholder lost. English is the source language: its catalogue may leave
an entry empty, which then reads as its msgid.
"""

import gettext
import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings

DOMAIN = "django"
SOURCE_LANGUAGE = "en"
_PLACEHOLDER = re.compile(r"%\((\w+)\)")

FUZZY = "{where}: “{msgid}” is marked fuzzy (check the translation, then remove the flag)"
UNTRANSLATED = "{where}: “{msgid}” has no translation"
EMPTY_PLURAL = "{where}: “{msgid}” leaves a plural form empty (msgstr[{index}])"
BAD_FORMAT = "{where}: “{msgid}”: {error}"
LOST_PLACEHOLDER = "{where}: the translation of “{msgid}” lost {names}"
STALE = "{mo} is not compiled from {po}: run manage.py compile_catalogues"


def catalogue_files() -> list[Path]:
    """Each language's .po, in LOCALE_PATHS."""
    return sorted(
        path
        for folder in settings.LOCALE_PATHS
        for path in Path(folder).glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    )


def language_of(po: Path) -> str:
    return po.parent.parent.name


def read(po: Path) -> Catalog:
    with po.open("rb") as file:
        return read_po(file, abort_invalid=True)


def compiled(po: Path) -> bytes:
    """The .mo of this .po; fuzzy entries left out, as msgfmt does."""
    buffer = io.BytesIO()
    write_mo(buffer, read(po), use_fuzzy=False)
    return buffer.getvalue()


def problems(po: Path) -> list[str]:
    """What keeps this catalogue from shipping, one sentence each."""
    catalog = read(po)
    source = language_of(po) == SOURCE_LANGUAGE
    found = []
    for message in catalog:
        if not message.id:
            continue  # the header
        msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
        where = f"{po}:{message.lineno}"
        strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
        if message.fuzzy:
            found.append(FUZZY.format(where=where, msgid=msgid))
        elif not any(strings):
            if not source:
                found.append(UNTRANSLATED.format(where=where, msgid=msgid))
        elif message.pluralizable and "" in strings:
            # msgfmt refuses it; Babel would ship it, and that count would read English.
            found.append(EMPTY_PLURAL.format(where=where, msgid=msgid, index=strings.index("")))
        elif message.python_format:
            # Babel's check only refuses a placeholder the msgid lacks, not one left out.
            wanted = set(
                _PLACEHOLDER.findall(str(message.id[-1] if message.pluralizable else msgid))
            )
            lost = set().union(
                *(wanted - set(_PLACEHOLDER.findall(text or "")) for text in strings)
            )
            if lost:
                names = ", ".join(f"%({name})s" for name in sorted(lost))
                found.append(LOST_PLACEHOLDER.format(where=where, msgid=msgid, names=names))
    for message, errors in catalog.check():
        for error in errors:
            msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
            found.append(
                BAD_FORMAT.format(where=f"{po}:{message.lineno}", msgid=msgid, error=error)
            )
    return found


def _messages(mo: bytes) -> tuple[dict, list[str]]:
    """The translations and the plural rule of a .mo; not the rest of its header, whose
    dates change on every makemessages."""
    translations = gettext.GNUTranslations(io.BytesIO(mo))
    catalog = dict(translations._catalog)  # type: ignore[attr-defined]
    header = catalog.pop("", "")
    plural = [line for line in header.splitlines() if line.startswith("Plural-Forms:")]
    return catalog, plural


def stale(po: Path) -> str:
    """Why the committed .mo is not this .po compiled, or ""."""
    mo = po.with_suffix(".mo")
    if not mo.exists() or _messages(mo.read_bytes()) != _messages(compiled(po)):
        return STALE.format(mo=mo, po=po)
    return ""


def compile_all() -> list[Path]:
    """Write each .mo that differs from its .po compiled; the ones written."""
    written = []
    for po in catalogue_files():
        mo, data = po.with_suffix(".mo"), compiled(po)
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
            written.append(mo)
    return written
