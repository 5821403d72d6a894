"""The admin for organizations, memberships, properties and leads."""

from typing import Any

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.admin import AccessLogAdmin as BaseAccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from campaigns.admin.lead_filters import BudgetFilter, InCampaignFilter
from campaigns.admin.listing_alert_admin import ListingAlertLeadFilter, review_url
from campaigns.admin.preflight_filter import PreflightLeadFilter
from campaigns.events.auto_replies import auto_reply_summary
from campaigns.listing_alerts import triggers
from campaigns.models import AutoReply, Enrollment
from campaigns.outbox import failures
from campaigns.reporting.timeline import lead_timeline
from crm.importing.import_views import IMPORT_LEADS, LeadImportView, SuppressionImportView
from crm.members import staff_group_join
from crm.models import Lead, Membership, Organization, Property, SuppressedAddress
from crm.owner_admin import OwnerFilter, agent_column, assign_to_agent, scope_owner_field
from crm.resources import LeadResource
from crm.site.export_admin import SpreadsheetExportAdmin
from crm.site.tenancy import (
    TenantRelatedFilter,
    TenantScopedAdmin,
    TenantValuesFilter,
    is_member,
    organizations_of,
)
from crm.site.timezones import LocalDayRangeFilter

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Login records name users and addresses of every organization: superusers only,
    whatever permissions a staff member was given."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a failed-login record lifts its lockout.
        return request.user.is_superuser


@admin.register(AccessAttempt)
class AccessAttemptAdmin(SuperuserOnlyAdmin, BaseAccessAttemptAdmin, ModelAdmin):
    pass


@admin.register(AccessLog)
class AccessLogAdmin(SuperuserOnlyAdmin, BaseAccessLogAdmin, ModelAdmin):
    pass


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(ModelAdmin):
    list_display = ["name", "slug", "timezone", "member_count", "lead_count"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug", "timezone", "postal_address"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return (
            organizations_of(request.user)
            .annotate(
                member_total=Count("memberships", distinct=True),
                lead_total=Count("leads", distinct=True),
            )
            .order_by("name")
        )

    @display(description="Members", ordering="member_total")
    def member_count(self, obj: Organization) -> int:
        return obj.member_total

    @display(description="Leads", ordering="lead_total")
    def lead_count(self, obj: Organization) -> int:
        return obj.lead_total

    def get_inlines(self, request: HttpRequest, obj: Any) -> list:
        return self.inlines if request.user.is_superuser else []

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        members = User.objects.filter(memberships__organization=form.instance).distinct()
        staff_group_join(*members)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_member(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._has_role(request, obj, Membership.EDITORS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # An agency's address and clock are its owner's to change (a manager may not).
        if obj is not None and not self._has_role(request, obj, [Membership.Role.OWNER]):
            return Membership.OWNER_FIELDS
        return super().get_readonly_fields(request, obj)

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict:
        if "slug" in self.get_readonly_fields(request, obj):
            return {}
        return super().get_prepopulated_fields(request, obj)

    def _has_role(self, request: HttpRequest, obj: Any, roles: Any) -> bool:
        """A superuser, or a member with one of `roles` (in `obj`, or in any organization
        when there is no object)."""
        if request.user.is_superuser:
            return True
        memberships = Membership.objects.filter(user=request.user, role__in=roles)
        if obj is not None:
            memberships = memberships.filter(organization=obj)
        return memberships.exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        staff_group_join(obj.user)


@admin.register(Property)
class PropertyAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = ["title", "city", "price_display", "bedrooms", "status", "lead_count"]
    list_filter = ["city", "status"]
    list_filter_submit = True
    search_fields = ["title", "city", "address"]
    warn_unsaved_form = True

    def save_model(self, request: HttpRequest, obj: Property, form: Any, change: bool) -> None:
        """Saved through the listing alerts' service: a new listing or a price drop makes
        the alerts it calls for, and the page says so."""
        for alert in triggers.property_save(item=obj, user=request.user):
            text = triggers.summary(alert)
            messages.info(request, format_html('<a href="{}">{}</a>', review_url(alert), text))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Property]:
        # Meta.ordering does not apply to aggregated querysets: order explicitly.
        return super().get_queryset(request).annotate(leads_linked=Count("leads")).order_by("title")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in ("url", "photo_url"):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @display(description="Price", ordering="price")
    def price_display(self, obj: Property) -> str:
        return f"{obj.price:,}" if obj.price is not None else "–"

    @display(description="Leads", ordering="leads_linked")
    def lead_count(self, obj: Property) -> int:
        return obj.leads_linked


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
        "phone",
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
        InCampaignFilter,
        ("created_at", LocalDayRangeFilter),
        ("property", TenantRelatedFilter),
        PreflightLeadFilter,  # hidden until the launch page's preflight links to it
        ListingAlertLeadFilter,  # hidden until a listing alert's page links to it
    ]
    list_filter_submit = True
    search_fields = ["name", "email", "phone", "city"]
    autocomplete_fields = ["property"]
    list_select_related = ["property", "owner"]
    # One COUNT of the filtered list per view, not a second one of the whole table.
    show_full_result_count = False
    warn_unsaved_form = True
    actions_list = ["import_csv"]
    actions = ["add_to_campaign", "assign_to_agent", "delete_selected"]
    inlines = [EnrollmentInline, AutoReplyInline]
    change_form_after_template = "admin/crm/lead/timeline.html"
    fieldsets = [
        (None, {"fields": ["organization", "name", "email", "phone", "status", "owner"]}),
        ("Search", {"fields": ["city", "budget_min", "budget_max", "property", "source"]}),
    ]

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

    @display(description="Budget")
    def budget(self, obj: Lead) -> str:
        low, high = obj.budget_min, obj.budget_max
        if low is None and high is None:
            return "–"
        if high is None:
            return f"from {low:,}"
        if low is None:
            return f"up to {high:,}"
        return f"{low:,} – {high:,}"

    def get_inlines(self, request: HttpRequest, obj: Lead | None) -> list:
        return self.inlines if obj is not None else []  # a new lead has no history yet

    def render_change_form(self, request: HttpRequest, context: dict, *args: Any, **kwargs: Any):
        lead = context.get("original")
        if lead is not None:
            context["timeline"] = lead_timeline(lead)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.action(description="Add to campaign…")
    def add_to_campaign(self, request: HttpRequest, queryset: QuerySet[Lead]) -> Any:
        from campaigns.admin.pages import add_leads_to_campaign

        return add_leads_to_campaign(self, request, queryset)

    @admin.action(description="Assign to agent…")
    def assign_to_agent(self, request: HttpRequest, queryset: QuerySet[Lead]) -> Any:
        return assign_to_agent(self, request, queryset)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return scope_owner_field(field, request) if db_field.name == "owner" else field

    @action(description=IMPORT_LEADS, icon="upload_file", url_path="import-csv")
    def import_csv(self, request: HttpRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:crm_lead_import"))

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(LeadImportView.as_view(model_admin=self))
        return [path("import/", view, name="crm_lead_import"), *super().get_urls()]


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = ["email", "reason", "detail", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email", "detail"]
    fields = ["organization", "email", "reason", "detail"]
    actions_list = ["import_csv"]

    @action(description="Import addresses", icon="upload_file", url_path="import-csv")
    def import_csv(self, request: HttpRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:crm_suppressedaddress_import"))

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(SuppressionImportView.as_view(model_admin=self))
        return [path("import/", view, name="crm_suppressedaddress_import"), *super().get_urls()]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # An entry made by an unsubscribe or a bounce is a record: staff may only remove it.
        return ["email", "reason", "detail"] if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)
