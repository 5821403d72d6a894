"""The admin of leads: the list with its filters (campaigns, listing alerts, preflight),
and each lead's page with their timeline, sequences and auto-replies. It lives with the
campaigns because it shows them; the CRM below knows nothing of campaigns."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from campaigns.admin import lead_privacy
from campaigns.admin.lead_filters import BudgetFilter, ConsentFilter, InCampaignFilter
from campaigns.admin.listing_alert_admin import ListingAlertLeadFilter
from campaigns.admin.pages import add_leads_to_campaign
from campaigns.admin.preflight_filter import PreflightLeadFilter
from campaigns.content.formats import budget_text, price_text
from campaigns.events.auto_replies import auto_reply_summary
from campaigns.models import AutoReply, Enrollment
from campaigns.outbox import failures
from campaigns.reporting.timeline import consent_panel, lead_timeline
from crm import consent
from crm.importing.import_views import IMPORT_LEADS, LeadImportView
from crm.importing.values import phone_as_written
from crm.models import ConsentBasis, ConsentRecord, Lead
from crm.owner_admin import OwnerFilter, agent_column, assign_to_agent, scope_owner_field
from crm.resources import LeadResource
from crm.site.changelist import EMPTY_CELL
from crm.site.export_admin import SpreadsheetExportAdmin
from crm.site.tenancy import (
    TenantRelatedFilter,
    TenantScopedAdmin,
    TenantValuesFilter,
    is_member,
    organizations_of,
)
from crm.site.timezones import LocalDayRangeFilter
from crm.suppression import forgotten_among

# A lead's budget on its page: what it can spend from, and up to.
BUDGET_LABELS = {"budget_min": _("Budget from"), "budget_max": _("Budget up to")}

ERASED_BEFORE = (
    "{email} belongs to a lead who was erased at their request: the lead is kept opted out "
    "and will not be emailed."
)
ADDED_BY = "added by {user} in the admin"


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EnrollmentInline(ReadOnlyInline):
    model = Enrollment
    fields = ["campaign", "state", "why_stopped", "next_step", "next_due_at", "started_at"]
    readonly_fields = fields
    verbose_name_plural = "sequences"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each row shows its campaign, and names its lead: read with the rows, not per row.
        return super().get_queryset(request).select_related("campaign", "lead")

    @display(description="Why it stopped")
    def why_stopped(self, obj: Enrollment) -> str:
        return failures.in_words(obj.stop_reason) or "–"

    @display(description="Next step")
    def next_step(self, obj: Enrollment) -> str:
        return f"Step {obj.next_order}" if obj.state == Enrollment.State.ACTIVE else "–"


class AutoReplyInline(ReadOnlyInline):
    """Out-of-office answers: each held the lead's sequences instead of stopping them."""

    model = AutoReply
    # The received time is in the summary, in the agency's time zone.
    fields = ["subject", "what_happened"]
    readonly_fields = fields
    verbose_name_plural = "auto-replies (out of office)"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("organization")

    @display(description="What happened")
    def what_happened(self, obj: AutoReply) -> str:
        return auto_reply_summary(obj)


@admin.register(Lead)
class LeadAdmin(TenantScopedAdmin, ModelAdmin, SpreadsheetExportAdmin):
    resource_classes = [LeadResource]
    list_display = [
        "name",
        "email",
        "phone_shown",
        "city",
        "status_badge",
        "budget",
        "source",
        agent_column,
        "created_at",
    ]
    list_filter = [
        "status",
        OwnerFilter,
        ("city", TenantValuesFilter),
        BudgetFilter,
        ("source", TenantValuesFilter),
        ("tags", TenantRelatedFilter),
        ("inbound_key", TenantRelatedFilter),
        InCampaignFilter,
        ConsentFilter,
        ("created_at", LocalDayRangeFilter),
        ("property", TenantRelatedFilter),
        PreflightLeadFilter,  # hidden until the launch page's preflight links to it
        ListingAlertLeadFilter,  # hidden until a listing alert's page links to it
    ]
    list_filter_submit = True
    search_fields = ["name", "email", "phone", "city"]
    autocomplete_fields = ["property", "tags"]
    list_select_related = ["property", "owner", "organization"]
    # One COUNT of the filtered list per view, not a second one of the whole table.
    show_full_result_count = False
    warn_unsaved_form = True
    actions_list = ["import_csv"]
    actions = ["add_to_campaign", "assign_to_agent", "delete_selected"]
    actions_detail = ["record_consent", "export_data", "forget"]
    inlines = [EnrollmentInline, AutoReplyInline]
    change_form_after_template = "admin/crm/lead/after_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "organization",
                    ("first_name", "last_name"),
                    "email",
                    "phone",
                    "status",
                    "owner",
                ]
            },
        ),
        ("Search", {"fields": ["city", "budget_min", "budget_max", "property", "source", "tags"]}),
        ("Custom fields", {"fields": ["custom"]}),
        ("Consent", {"fields": ["consent_basis", "consent_date"]}),
    ]
    # Changed through "Record consent" only, so that every change is kept with its source.
    consent_fields = ["consent_basis", "consent_date"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return fields + self.consent_fields if obj is not None else fields

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """The budget's bounds in words, and in the agency's currency as the property page
        says its price."""
        if db_field.name in BUDGET_LABELS:
            kwargs["label"] = BUDGET_LABELS[db_field.name]
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in BUDGET_LABELS and field is not None:
            organization = organizations_of(request.user).first()
            if organization is not None:
                field.help_text = _("In {currency}, whole units: {example}.").format(
                    currency=organization.currency,
                    example=price_text(500_000, organization),
                )
        return field

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "consent_basis" in form.base_fields:  # a new lead: nothing said is "unknown"
            form.base_fields["consent_basis"].required = False
        return form

    def save_model(self, request: HttpRequest, obj: Lead, form: Any, change: bool) -> None:
        obj.consent_basis = obj.consent_basis or ConsentBasis.UNKNOWN
        forgotten = not change and forgotten_among(obj.organization_id, [obj.email])
        if forgotten:
            obj.unsubscribed_at = timezone.now()
            messages.warning(request, ERASED_BEFORE.format(email=obj.email))
        super().save_model(request, obj, form, change)
        if not change and obj.consent_basis != ConsentBasis.UNKNOWN:
            consent.consent_record(
                lead=obj,
                basis=obj.consent_basis,
                given_on=obj.consent_date,
                source=ConsentRecord.Source.STAFF,
                source_detail=ADDED_BY.format(user=request.user.get_username()),
                recorded_by=request.user,
            )

    @action(description="Record consent", icon="verified_user", url_path="record-consent")
    def record_consent(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return lead_privacy.record_consent_page(self, request, object_id)

    @action(description="Download their data", icon="download", url_path="data")
    def export_data(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return lead_privacy.export_lead_data(self, request, object_id)

    @action(description="Forget this lead", icon="person_remove", url_path="forget")
    def forget(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return lead_privacy.forget_lead_page(self, request, object_id)

    def has_forget_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return self.has_delete_permission(request)

    @display(
        description="Status",
        ordering="status",
        label={
            Lead.Status.NEW: "info",
            Lead.Status.CONTACTED: "warning",
            Lead.Status.QUALIFIED: "primary",
            Lead.Status.CLIENT: "success",
            Lead.Status.LOST: "danger",
        },
    )
    def status_badge(self, obj: Lead) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Phone", ordering="phone")
    def phone_shown(self, obj: Lead) -> str:
        """As people of the agency's country write it; stored in E.164."""
        return phone_as_written(obj.phone, obj.organization.country) if obj.phone else ""

    @display(description="Budget")
    def budget(self, obj: Lead) -> str:
        """In the agency's currency, as the property page writes prices."""
        return budget_text(obj.budget_min, obj.budget_max, obj.organization) or EMPTY_CELL

    def get_inlines(self, request: HttpRequest, obj: Lead | None) -> list:
        return self.inlines if obj is not None else []  # a new lead has no history yet

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        lead = context.get("original")
        if lead is not None:
            context["timeline"] = lead_timeline(lead)
            context["consent"] = consent_panel(lead)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.action(description="Add to campaign…")
    def add_to_campaign(self, request: HttpRequest, queryset: QuerySet[Lead]) -> Any:
        return add_leads_to_campaign(self, request, queryset)

    @admin.action(description="Assign to agent…")
    def assign_to_agent(self, request: HttpRequest, queryset: QuerySet[Lead]) -> Any:
        return assign_to_agent(self, request, queryset)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return scope_owner_field(field, request) if db_field.name == "owner" else field

    @action(description=IMPORT_LEADS, icon="upload_file", url_path="import-csv")
    def import_csv(self, request: HttpRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:crm_lead_import"))

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(LeadImportView.as_view(model_admin=self))
        return [
            path("import/", view, name="crm_lead_import"),
            path("import/<uuid:object_id>/", view, name="crm_lead_import_job"),
            *super().get_urls(),
        ]
