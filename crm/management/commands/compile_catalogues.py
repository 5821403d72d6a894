"""python manage.py compile_catalogues [--check]: each locale/*/LC_MESSAGES/django.po to its
.mo, in Python (no GNU gettext needed); --check changes nothing and fails while a catalogue
cannot ship (crm/site/catalogues.py)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.site import catalogues


class Command(BaseCommand):
    help = "Compile our gettext catalogues (.po) to .mo with Babel; --check only checks them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail when an entry is untranslated or fuzzy, or a .mo is "
            "out of date.",
        )

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        files = catalogues.catalogue_files()
        found = [problem for po in files for problem in catalogues.problems(po)]
        if check:
            found += filter(None, map(catalogues.stale, files))
            if found:
                raise CommandError("\n".join(found))
            self.stdout.write("The catalogues are complete and compiled.")
            return
        for mo in catalogues.compile_all():
            self.stdout.write(f"Wrote {mo}")
        # Compiled all the same: an entry without a translation reads as its English msgid.
        for problem in found:
            self.stderr.write(problem)
