"""The admin's import: upload a CSV or a workbook, map its columns (and a status column's
values) while reading the preview of what will change, then confirm. Large files are read
in the background, the page showing the progress (crm/importing/jobs.py)."""

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget

from crm.importing import jobs
from crm.importing.csv_reading import CsvFileError
from crm.importing.lead_import import ImportReport
from crm.importing.mapping import CHOICES, CUSTOM, Mapping, mapping_with
from crm.importing.suppression_import import import_addresses
from crm.importing.tables import kind_of
from crm.importing.values import known_status, status_key
from crm.models import Lead, LeadImport, Organization
from crm.site.tenancy import is_member, organizations_of

ERRORS_SHOWN = 500
RECENT_SHOWN = 10
FILE_TOO_LARGE = _("The file is larger than {limit} MB. Split it and import the parts.")
# One name for the page, wherever it is reached from (the sidebar says it too: settings/unfold.py).
IMPORT_LEADS = _("Import leads")
NOT_CSV = _(
    "This is not a CSV file or an Excel workbook. In your spreadsheet, use “Save as” or "
    "“Download” and choose “CSV UTF-8” or “Excel Workbook (.xlsx)”, then upload that file."
)
FILE_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
IMPORT_EXPIRED = jobs.EXPIRED
# The suppression-list import's page, and what each entry it adds says of where it came from.
IMPORT_ADDRESSES = _("Import addresses to the suppression list")
IMPORTED_FROM = _("imported from {file} on {date}")
# The singular or the plural is chosen by "count" when the note is filled in (_listed).
NOT_IMPORTED = ngettext_lazy(
    "%(n)s row was not imported: %(shown)s", "%(n)s rows were not imported: %(shown)s", "count"
)
CHANGED = ngettext_lazy(
    "%(n)s value was left out or changed: %(shown)s",
    "%(n)s values were left out or changed: %(shown)s",
    "count",
)
NAMED_IN_A_NOTE = 10
STATUS_UNKNOWN = _("Not recognised: leave the status as it is")
NOT_EMAILED = _(
    "Leads marked Client or Lost are never emailed by a campaign that does not choose its "
    "statuses: map a CRM's Trash, Closed or Past Client to them."
)


def _listed(note: Any, count: int, problems: list, total: int) -> str:
    """The note (singular or plural by count) with the first problems by line, and how many
    more there are."""
    shown = "; ".join(str(problem) for problem in problems[:NAMED_IN_A_NOTE])
    more = total - NAMED_IN_A_NOTE
    text = note % {"count": count, "n": f"{count:,}", "shown": shown}
    return text + (gettext("; and %(more)s more.") % {"more": more} if more > 0 else ".")


def final_messages(report: ImportReport) -> list[tuple[int, str]]:
    """What the import says when it is done: the counts, the columns not imported, and the
    rows refused or changed, by line."""
    said = [(messages.SUCCESS, report.summary())]
    if report.errors:
        said.append(
            (
                messages.WARNING,
                _listed(NOT_IMPORTED, report.rejected, report.errors, report.error_count),
            )
        )
    if report.changes:
        count = report.change_count
        said.append((messages.WARNING, _listed(CHANGED, count, report.changes, count)))
    return said


class LeadImportForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        widget=UnfoldAdminSelectWidget,
        label=_("Organization"),
    )
    file = forms.FileField(
        label=_("CSV file or Excel workbook"),
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ".csv,.txt,.tsv,.xlsx,text/csv"}),
        help_text=_(
            "An export of your CRM or a spreadsheet: CSV (any encoding, comma, "
            "semicolon or tab separated) or .xlsx. You choose where each column goes next."
        ),
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
        try:
            kind = kind_of(head)
        except CsvFileError as error:
            raise forms.ValidationError(str(error)) from None
        if kind == "csv" and not upload.name.lower().endswith(FILE_EXTENSIONS):
            raise forms.ValidationError(str(NOT_CSV))
        return upload


class MappingForm(forms.Form):
    """The mapping step: where each column goes, and what each value of the status column
    becomes."""

    def __init__(self, *args: Any, job: LeadImport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        mapping = Mapping.from_json(job.mapping)
        self.header = mapping.header
        self.rows: list[dict[str, Any]] = []
        summaries = job.columns or [{}] * len(self.header)
        for column, summary in zip(mapping.columns, summaries, strict=False):
            name = f"column-{column.index}"
            self.fields[name] = forms.ChoiceField(
                choices=CHOICES, initial=column.target, label=column.label
            )
            self.rows.append(
                {
                    "column": column,
                    "field": name,
                    "first": summary.get("first", []),
                }
            )
        self.statuses: list[dict[str, Any]] = []
        status_choices = [("", STATUS_UNKNOWN), *Lead.Status.choices]
        for column in mapping.of("status"):
            summary = summaries[column.index] if column.index < len(summaries) else {}
            for value, count in sorted(
                summary.get("counts", {}).items(), key=lambda item: (-item[1], item[0])
            ):
                n = len(self.statuses)
                self.fields[f"status-{n}"] = forms.ChoiceField(
                    choices=status_choices, initial=mapping.status_for(value), required=False
                )
                self.fields[f"status-value-{n}"] = forms.CharField(
                    initial=value, widget=forms.HiddenInput
                )
                self.statuses.append(
                    {
                        "column": column,
                        "value": value,
                        "count": count,
                        "field": f"status-{n}",
                        "hidden": f"status-value-{n}",
                        "known": bool(known_status(value)),
                    }
                )
            if summary.get("more"):
                self.statuses.append({"column": column, "more": True})
        if len(job.sheets) > 1:
            self.fields["sheet"] = forms.ChoiceField(
                choices=[(name, name) for name in job.sheets],
                initial=job.sheet or job.sheets[0],
                label=_("Sheet"),
            )
        for name, field in self.fields.items():
            if isinstance(field, forms.ChoiceField):
                field.widget = UnfoldAdminSelectWidget(choices=field.choices)
                field.widget.attrs["aria-label"] = field.label or name
        for row in [*self.rows, *self.statuses]:
            if "field" in row:
                row["bound"] = self[row["field"]]
            if "hidden" in row:
                row["bound_value"] = self[row["hidden"]]

    def mapping(self) -> Mapping:
        targets = [self.cleaned_data[f"column-{index}"] for index in range(len(self.header))]
        statuses = {}
        for row in self.statuses:
            if "field" in row:
                value = self.cleaned_data.get(row["hidden"], row["value"])
                statuses[status_key(value)] = self.cleaned_data.get(row["field"], "")
        previous = Mapping.from_json(self.job.mapping).statuses
        return mapping_with(self.header, targets, {**previous, **statuses})


class LeadImportView(View):
    """Upload (GET, POST without a job) and the page of one import (its progress, its
    mapping step and preview, its result)."""

    model_admin: Any = None
    template_name = "admin/crm/lead/import.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_member(request.user):
            return HttpResponseRedirect(reverse("admin:index"))
        return super().dispatch(request, *args, **kwargs)

    def job_of(self, request: HttpRequest, job_id: Any) -> LeadImport:
        job = (
            LeadImport.objects.filter(organization__in=organizations_of(request.user), pk=job_id)
            .select_related("organization")
            .first()
        )
        if job is None:
            raise Http404(_("No such import."))
        return job

    def get(self, request: HttpRequest, object_id: Any = None) -> HttpResponse:
        if object_id is None:
            return self.render(request, form=LeadImportForm(user=request.user))
        job = self.job_of(request, object_id)
        if job.state in LeadImport.RUNNING:
            _take_up_if_stopped(job)
        return self.render_job(request, job)

    def post(self, request: HttpRequest, object_id: Any = None) -> HttpResponse:
        if object_id is not None:
            return self.post_job(request, self.job_of(request, object_id))
        form = LeadImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render(request, form=form)
        job = jobs.lead_import_start(
            organization=form.cleaned_data["organization"],
            user=request.user,
            upload=form.cleaned_data["file"],
        )
        if job.state == LeadImport.State.FAILED:
            # A small file is read at once: what is wrong with it is said on the form.
            form.add_error("file", job.error)
            jobs.lead_import_forget(job)
            return self.render(request, form=form)
        return HttpResponseRedirect(reverse("admin:crm_lead_import_job", args=[job.pk]))

    def post_job(self, request: HttpRequest, job: LeadImport) -> HttpResponse:
        here = HttpResponseRedirect(reverse("admin:crm_lead_import_job", args=[job.pk]))
        if "confirm" in request.POST:
            if not jobs.lead_import_confirm(job=job):
                messages.error(request, IMPORT_EXPIRED)
                return HttpResponseRedirect(reverse("admin:crm_lead_import"))
            job.refresh_from_db()
            if job.state == LeadImport.State.DONE:
                for level, text in final_messages(ImportReport.from_json(job.report)):
                    messages.add_message(request, level, text)
                return HttpResponseRedirect(reverse("admin:crm_lead_changelist"))
            return here
        if job.state != LeadImport.State.PREVIEWED:
            return here
        form = MappingForm(request.POST, job=job)
        if not form.is_valid():
            return self.render_job(request, job, mapping_form=form)
        sheet = form.cleaned_data.get("sheet", "")
        if not jobs.lead_import_preview(job=job, mapping=form.mapping(), sheet=sheet):
            messages.error(request, IMPORT_EXPIRED)
        return here

    def render_job(
        self, request: HttpRequest, job: LeadImport, mapping_form: MappingForm | None = None
    ) -> HttpResponse:
        report = ImportReport.from_json(job.report) if job.report else None
        context: dict[str, Any] = {"job": job, "report": report}
        if job.state == LeadImport.State.PREVIEWED and report is not None:
            form = mapping_form or MappingForm(job=job)
            context.update(
                mapping_form=form,
                mapping=Mapping.from_json(job.mapping),
                not_emailed=NOT_EMAILED,
                custom=CUSTOM,
            )
        if job.state == LeadImport.State.DONE and report is not None:
            context["final"] = final_messages(report)
        if job.state == LeadImport.State.FAILED:
            context["form"] = LeadImportForm(user=request.user)
        return self.render(request, **context)

    def render(self, request: HttpRequest, **context: Any) -> HttpResponse:
        if "form" in context and "job" not in context:
            # Imports under way or waiting are found again here (a large one runs on).
            context["recent"] = (
                LeadImport.objects.filter(organization__in=organizations_of(request.user))
                .select_related("organization")
                .order_by("-created_at")[:RECENT_SHOWN]
            )
        report: ImportReport | None = context.get("report")
        shown = report.errors[:ERRORS_SHOWN] if report else []
        context.update(
            self.model_admin.admin_site.each_context(request),
            opts=self.model_admin.model._meta,
            title=IMPORT_LEADS,
            breadcrumbs=[self.model_admin.model, _("Import")],
            errors_shown=shown,
            errors_hidden=report.error_count - len(shown) if report else 0,
            changes_shown=report.changes[:ERRORS_SHOWN] if report else [],
            changes_hidden=max(0, report.change_count - ERRORS_SHOWN) if report else 0,
        )
        return render(request, self.template_name, context)


def _take_up_if_stopped(job: LeadImport) -> None:
    """A run silent for long stopped with its process: the page watching it starts it again
    (its claim makes sure only one run goes on)."""
    silent = job.heartbeat_at or job.updated_at
    if (timezone.now() - silent).total_seconds() > jobs.ORPHANED_AFTER:
        jobs.in_background(job.pk, translation.get_language())


class SuppressionImportForm(LeadImportForm):
    file = forms.FileField(
        label=_("CSV file or Excel workbook"),
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ".csv,.txt,.tsv,.xlsx,text/csv"}),
        help_text=_(
            "A column named email (or “Email Address”); other columns are ignored. "
            "CSV in any encoding, or .xlsx: an export from another email tool works."
        ),
    )


class SuppressionImportView(View):
    """Upload a list of addresses that must never be emailed; the result is shown at once
    (entries can be removed later: each is marked with the file it came from)."""

    model_admin: Any = None
    template_name = "admin/crm/suppressedaddress/import.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_member(request.user):
            return HttpResponseRedirect(reverse("admin:index"))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SuppressionImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render(request, form=form)
        upload = form.cleaned_data["file"]
        detail = IMPORTED_FROM.format(file=upload.name, date=time.strftime("%Y-%m-%d"))
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
            title=IMPORT_ADDRESSES,
            breadcrumbs=[self.model_admin.model, _("Import")],
        )
        return render(request, self.template_name, context)
