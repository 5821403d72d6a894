"""Our gettext catalogues ship complete: every string of ours that makemessages finds has a
French and a Spanish translation, none fuzzy, every plural form filled, every placeholder
kept, and each committed .mo is its .po compiled (crm/site/catalogues.py)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from crm.site import catalogues

ROOT = Path(settings.BASE_DIR)
SOURCES = ("campaigns", "crm", "settings", "locale", "manage.py")


def test_every_language_has_a_catalogue():
    languages = {catalogues.language_of(po) for po in catalogues.catalogue_files()}
    assert languages == {code for code, _ in settings.LANGUAGES}


@pytest.mark.parametrize("po", catalogues.catalogue_files(), ids=catalogues.language_of)
def test_each_catalogue_is_complete_and_its_mo_compiled_from_it(po):
    assert catalogues.problems(po) == []
    assert catalogues.stale(po) == ""


def test_the_compiled_catalogues_are_what_django_reads():
    with translation.override("fr"):
        assert translation.pgettext("email footer link", "Unsubscribe") == "Se désinscrire"
    with translation.override("es"):
        assert translation.ngettext("%(n)s bedroom", "%(n)s bedrooms", 3) == "%(n)s dormitorios"


def test_makemessages_finds_no_string_of_ours_left_untranslated(tmp_path):
    """makemessages, run on a copy of the sources, adds nothing the catalogues lack."""
    if shutil.which("xgettext") is None:
        pytest.fail("makemessages needs GNU gettext: make gettext (or apt-get install gettext)")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    languages = [flag for code, _ in settings.LANGUAGES for flag in ("-l", code)]
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", *languages, "--no-obsolete"],
        cwd=tmp_path,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    found = [
        problem
        for po in sorted((tmp_path / "locale").glob("*/LC_MESSAGES/django.po"))
        for problem in catalogues.problems(po)
    ]
    assert found == [], "Run make messages and translate:\n" + "\n".join(found)


ENTRY = '\n#: campaigns/x.py:1\nmsgid "Hello"\nmsgstr "{translation}"\n'
PLURAL = (
    '\n#, python-format\nmsgid "%(n)s room"\nmsgid_plural "%(n)s rooms"\n'
    'msgstr[0] "%(n)s pièce"\nmsgstr[1] "{plural}"\n'
)


def _catalogue(tmp_path: Path, body: str) -> Path:
    """A French catalogue under tmp_path holding `body` after the real header."""
    po = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    real = (ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text()
    header = real[: real.index("\n\n") + 1]
    po.write_text(header + body)
    return po


def _at(po: Path, text: str) -> str:
    """Where the entry holding `text` starts, as problems() names it."""
    lines = po.read_text().splitlines()
    return f"{po}:{next(number for number, line in enumerate(lines, 1) if text in line)}"


def test_an_untranslated_fuzzy_or_half_plural_entry_is_named(tmp_path):
    po = _catalogue(
        tmp_path / "a", ENTRY.format(translation="") + PLURAL.format(plural="%(n)s pièces")
    )
    where = _at(po, 'msgid "Hello"')
    assert catalogues.problems(po) == [catalogues.UNTRANSLATED.format(where=where, msgid="Hello")]
    po = _catalogue(tmp_path / "b", "\n#, fuzzy" + ENTRY.format(translation="Bonjour"))
    where = _at(po, 'msgid "Hello"')
    assert catalogues.problems(po) == [catalogues.FUZZY.format(where=where, msgid="Hello")]
    po = _catalogue(tmp_path / "c", PLURAL.format(plural=""))
    assert catalogues.problems(po) == [
        catalogues.EMPTY_PLURAL.format(
            where=_at(po, 'msgid "%(n)s room"'), msgid="%(n)s room", index=1
        )
    ]


def test_a_lost_placeholder_is_named(tmp_path):
    po = _catalogue(tmp_path, PLURAL.format(plural="pièces"))
    assert catalogues.problems(po) == [
        catalogues.LOST_PLACEHOLDER.format(
            where=_at(po, 'msgid "%(n)s room"'), msgid="%(n)s room", names="%(n)s"
        )
    ]


def test_a_po_changed_after_compiling_fails_the_check_until_compiled_again(tmp_path):
    po = _catalogue(tmp_path, ENTRY.format(translation="Bonjour"))
    with override_settings(LOCALE_PATHS=[tmp_path]):
        call_command("compile_catalogues")
        call_command("compile_catalogues", "--check")
        po.write_text(po.read_text().replace("Bonjour", "Salut"))
        with pytest.raises(CommandError, match="is not compiled from"):
            call_command("compile_catalogues", "--check")
        call_command("compile_catalogues")
        call_command("compile_catalogues", "--check")
    assert b"Salut" in po.with_suffix(".mo").read_bytes()
