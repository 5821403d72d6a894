"""The admin's CSV import: upload, preview of what will change, then confirm."""

import secrets
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views import View
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from crm.importing.csv_reading import CsvFileError
from crm.importing.lead_import import ImportReport, leads_import
from crm.importing.suppression_import import import_addresses
from crm.models import Organization
from crm.site.tenancy import is_member, organizations_of

SESSION_KEY = "lead_imports"
STALE_AFTER_SECONDS = 24 * 3600
ERRORS_SHOWN = 500
FILE_TOO_LARGE = "The file is larger than {limit} MB. Split it and import the parts."
# One name for the page, wherever it is reached from (the sidebar says it too: settings/unfold.py).
IMPORT_LEADS = "Import leads"
NOT_CSV = (
    "This is not a CSV file{kind}. In your spreadsheet, use “Save as” or “Download” and "
    "choose “CSV UTF-8”, then upload that file."
)
CSV_EXTENSIONS = (".csv", ".txt")
# How other files begin (their "magic numbers"): named, the error says what was uploaded.
NOT_CSV_SIGNATURES = {
    b"PK\x03\x04": " (it looks like an Excel workbook or another zip file)",
    b"\xd0\xcf\x11\xe0": " (it looks like an old Excel .xls file)",
    b"%PDF": " (it is a PDF)",
    b"\x89PNG": " (it is an image)",
    b"\xff\xd8\xff": " (it is an image)",
    b"{\\rtf": " (it is a Word or RTF document)",
}
IMPORT_EXPIRED = "This import has expired or was already done. Upload the file again."
NOT_IMPORTED = "%(n)s row was not imported: %(shown)s"
NOT_IMPORTED_PLURAL = "%(n)s rows were not imported: %(shown)s"
WITHOUT_AGENT = "%(n)s lead was imported without its agent: %(shown)s"
WITHOUT_AGENT_PLURAL = "%(n)s leads were imported without their agent: %(shown)s"
NAMED_IN_A_NOTE = 10


def _listed(note: str, count: int, problems: list, total: int) -> str:
    """The note with the first problems by line, and how many more there are."""
    shown = "; ".join(str(problem) for problem in problems[:NAMED_IN_A_NOTE])
    more = total - NAMED_IN_A_NOTE
    return note % {"n": f"{count:,}", "shown": shown} + (f"; and {more} more." if more > 0 else ".")


class LeadImportForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), widget=UnfoldAdminSelectWidget
    )
    file = forms.FileField(
        label="CSV file",
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ".csv,text/csv"}),
        help_text="Columns: name (or first_name, last_name), email, phone, city, status, "
        "budget_min, budget_max, source, agent (a member's email address or name). Comma or "
        "semicolon separated, UTF-8.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = organizations_of(user)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)  # declared above
        field.queryset = choices
        if len(choices) == 1:
            field.initial = choices[0]
            field.widget = forms.HiddenInput()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.LEAD_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(FILE_TOO_LARGE.format(limit=limit // (1024 * 1024)))
        head = upload.read(512)
        upload.seek(0)
        kind = next((k for sign, k in NOT_CSV_SIGNATURES.items() if head.startswith(sign)), None)
        if kind is None and not upload.name.lower().endswith(CSV_EXTENSIONS):
            kind = ""
        if kind is not None:
            raise forms.ValidationError(NOT_CSV.format(kind=kind))
        return upload


def _import_dir() -> Path:
    folder = Path(settings.LEAD_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < time.time() - STALE_AFTER_SECONDS:
            old.unlink(missing_ok=True)
    return folder


def _save_upload(upload: Any) -> tuple[str, Path]:
    """Copy the upload beside the others, in chunks: the preview and the confirmation both
    stream it from there, never holding the file in memory."""
    token = secrets.token_urlsafe(24)
    path = _import_dir() / f"{token}.csv"
    with path.open("wb") as stored:
        for chunk in upload.chunks():
            stored.write(chunk)
    return token, path


class LeadImportView(View):
    model_admin: Any = None
    template_name = "admin/crm/lead/import.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_member(request.user):
            return HttpResponseRedirect(reverse("admin:index"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, form=LeadImportForm(user=request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        if "token" in request.POST:
            return self.confirm(request)
        form = LeadImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render(request, form=form)
        organization = form.cleaned_data["organization"]
        token, stored = _save_upload(form.cleaned_data["file"])
        try:
            with stored.open("rb") as source:
                report = leads_import(
                    organization=organization, data=source, dry_run=True, sample_size=20
                )
        except CsvFileError as error:
            stored.unlink(missing_ok=True)
            form.add_error("file", str(error))
            return self.render(request, form=form)
        pending = request.session.get(SESSION_KEY, {})
        pending[token] = {
            "organization": str(organization.pk),
            "name": form.cleaned_data["file"].name,
        }
        request.session[SESSION_KEY] = pending
        return self.render(
            request,
            report=report,
            token=token,
            organization=organization,
            file_name=form.cleaned_data["file"].name,
        )

    def confirm(self, request: HttpRequest) -> HttpResponse:
        token = request.POST["token"]
        pending = request.session.get(SESSION_KEY, {})
        entry = pending.get(token)
        stored = _import_dir() / f"{token}.csv"
        organization = (
            organizations_of(request.user).filter(pk=entry["organization"]).first()
            if entry
            else None
        )
        if organization is None or not stored.exists():
            messages.error(request, IMPORT_EXPIRED)
            return HttpResponseRedirect(reverse("admin:crm_lead_import"))
        try:
            with stored.open("rb") as source:
                report = leads_import(
                    organization=organization, data=source, source_name=entry.get("name", "")
                )
        except CsvFileError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("admin:crm_lead_import"))
        finally:
            pending.pop(token, None)
            request.session[SESSION_KEY] = pending
            stored.unlink(missing_ok=True)
        messages.success(request, report.summary())
        if report.errors:
            note = ngettext(NOT_IMPORTED, NOT_IMPORTED_PLURAL, report.rejected)
            messages.warning(
                request, _listed(note, report.rejected, report.errors, report.error_count)
            )
        if report.warnings:
            note = ngettext(WITHOUT_AGENT, WITHOUT_AGENT_PLURAL, report.warning_count)
            count = report.warning_count
            messages.warning(request, _listed(note, count, report.warnings, count))
        return HttpResponseRedirect(reverse("admin:crm_lead_changelist"))

    def render(self, request: HttpRequest, **context: Any) -> HttpResponse:
        report: ImportReport | None = context.get("report")
        shown = report.errors[:ERRORS_SHOWN] if report else []
        context.update(
            self.model_admin.admin_site.each_context(request),
            opts=self.model_admin.model._meta,
            title=IMPORT_LEADS,
            breadcrumbs=[self.model_admin.model, "Import"],
            errors_shown=shown,
            errors_hidden=report.error_count - len(shown) if report else 0,
            warnings_shown=report.warnings[:ERRORS_SHOWN] if report else [],
            warnings_hidden=max(0, report.warning_count - ERRORS_SHOWN) if report else 0,
        )
        return render(request, self.template_name, context)


class SuppressionImportForm(LeadImportForm):
    file = forms.FileField(
        label="CSV file",
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ".csv,text/csv"}),
        help_text="A column named email (or “Email Address”); other columns are ignored. "
        "Comma or semicolon separated, UTF-8: an export from another email tool works.",
    )


class SuppressionImportView(LeadImportView):
    """Upload a list of addresses that must never be emailed; the result is shown at once
    (entries can be removed later: each is marked with the file it came from)."""

    template_name = "admin/crm/suppressedaddress/import.html"

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SuppressionImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render(request, form=form)
        upload = form.cleaned_data["file"]
        detail = f"imported from {upload.name} on {time.strftime('%Y-%m-%d')}"
        upload.seek(0)
        try:
            result = import_addresses(
                organization=form.cleaned_data["organization"], data=upload.file, detail=detail
            )
        except CsvFileError as error:
            form.add_error("file", str(error))
            return self.render(request, form=form)
        return self.render(
            request,
            form=SuppressionImportForm(user=request.user),
            result=result,
            errors=result.errors[:ERRORS_SHOWN],
            errors_hidden=result.rejected - len(result.errors[:ERRORS_SHOWN]),
            detail=detail,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, form=SuppressionImportForm(user=request.user))

    def render(self, request: HttpRequest, **context: Any) -> HttpResponse:
        context.update(
            self.model_admin.admin_site.each_context(request),
            opts=self.model_admin.model._meta,
            title="Import addresses to the suppression list",
            breadcrumbs=[self.model_admin.model, "Import"],
        )
        return render(request, self.template_name, context)
