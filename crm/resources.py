"""Export resources. Cells a spreadsheet would run as formulas are neutralised."""

from typing import Any

from import_export import fields, resources

from crm.models import Lead

# OWASP CSV injection: a cell starting with one of these is a formula to Excel/Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
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
            "created_at",
        )
        export_order = fields
