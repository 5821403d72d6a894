"""How every list exports: a CSV or an XLSX file, its columns ticked as checkboxes, and a
plain "Export" button (admin/import_export/export.html in campaigns/overrides)."""

from import_export.admin import ExportActionModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.import_export.forms import SelectableFieldsExportForm
from unfold.widgets import UnfoldAdminRadioSelectWidget

FORMATS = [CSV, XLSX]
FORMAT_NAMES = {"csv": "CSV (opens in any spreadsheet)", "xlsx": "Excel workbook (.xlsx)"}


class ExportForm(SelectableFieldsExportForm):
    """The two file types as a choice already made (CSV), not a list to open first."""

    def __init__(self, formats: list, resources: list, **kwargs: object) -> None:
        super().__init__(formats, resources, **kwargs)
        field = self.fields["format"]
        field.label = "File type"
        field.choices = [
            (value, FORMAT_NAMES.get(title, title)) for value, title in field.choices if value
        ]
        field.widget = UnfoldAdminRadioSelectWidget(choices=field.choices)
        field.initial = "0"
        self.initial.setdefault("format", "0")


class SpreadsheetExportAdmin(ExportActionModelAdmin):
    export_formats = FORMATS
    export_form_class = ExportForm
