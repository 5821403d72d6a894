"""Export resources. Cells a spreadsheet would run as formulas are neutralised."""

import re
from typing import Any

from import_export import fields, resources

from crm.models import Lead

# OWASP CSV injection: a cell starting with one of these is a formula to Excel/Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# An international phone number: "+", then digits, spaces and ()-. only, seven digits at
# least. Nothing in it can call a function or reach another cell, so it is left as the
# agent typed it; "+1", "+1+1" or "+1 (2)" are still neutralised.
PHONE_NUMBER = re.compile(r"\+\d[\d ().-]*")
PHONE_MIN_DIGITS = 7


def is_phone_number(value: str) -> bool:
    digits = sum(character.isdigit() for character in value)
    return bool(PHONE_NUMBER.fullmatch(value)) and digits >= PHONE_MIN_DIGITS


def neutralise_formula(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not is_phone_number(value):
        return "'" + value
    return value


class FormulaSafeResource(resources.ModelResource):
    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return neutralise_formula(super().export_field(field, instance, **kwargs))


class LeadResource(FormulaSafeResource):
    property = fields.Field(attribute="property__title", column_name="property")

    class Meta:
        model = Lead
        fields = (
            "name",
            "email",
            "phone",
            "city",
            "status",
            "budget_min",
            "budget_max",
            "source",
            "property",
            "consent_basis",
            "consent_date",
            "created_at",
        )
        export_order = fields
