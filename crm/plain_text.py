"""One-line text typed or imported (a lead's name, city, phone, source): no control character.
A vertical tab or a NUL in a name breaks the lists' XLSX export (openpyxl refuses them) and
shows as nothing on screen. Typed in a form, it is refused, with the character named; in an
imported file (a tab or a line break inside a spreadsheet cell), each becomes a space."""

import unicodedata

from django.core.exceptions import ValidationError

CONTROL_CHARACTER = "holds a control character ({code}), which cannot be shown or exported"


def first_control_character(value: str) -> str | None:
    """The first control character (Unicode category Cc: C0, DEL, C1) in `value`, if any."""
    return next((c for c in value if unicodedata.category(c) == "Cc"), None)


def validate_no_control_characters(value: object) -> None:
    """A field validator for one-line text."""
    if isinstance(value, str) and (found := first_control_character(value)) is not None:
        raise ValidationError(
            CONTROL_CHARACTER.format(code=f"U+{ord(found):04X}"), code="control_character"
        )


def without_control_characters(value: str) -> str:
    """`value` with each control character replaced by a space (unchanged, and at once, when
    it is all printable: the import's every cell passes here)."""
    if value.isprintable():
        return value
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in value)
