"""One-line text typed or imported (a lead's name, city, phone, source): no control character.
A vertical tab or a NUL in a name breaks the lists' XLSX export (openpyxl refuses them) and
shows as nothing on screen, so it is refused where it comes in, with the character named."""

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
