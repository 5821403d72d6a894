"""The admin for organizations, memberships, properties and leads."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from import_export.admin import ExportActionModelAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.contrib.import_export.forms import SelectableFieldsExportForm
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from campaigns.models import Enrollment, MessageLog
from crm.import_views import LeadImportView, SuppressionImportView
from crm.models import Lead, Membership, Organization, Property, SuppressedAddress
from crm.resources import LeadResource
from crm.tenancy import (
    TenantRelatedFilter,
    TenantScopedAdmin,
    TenantValuesFilter,
    is_member,
    organizations_of,
)

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


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(ModelAdmin):
    list_display = ["name", "slug", "timezone", "member_count", "lead_count"]
    search_fields = ["name", "slug"]
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

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_member(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return True
        owners = Membership.objects.filter(user=request.user, role=Membership.Role.OWNER)
        if obj is None:
            return owners.exists()
        return owners.filter(organization=obj).exists()

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


@admin.register(Property)
class PropertyAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = ["title", "city", "price_display", "bedrooms", "lead_count"]
    list_filter = ["city"]
    list_filter_submit = True
    search_fields = ["title", "city", "address"]
    warn_unsaved_form = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Property]:
        # Meta.ordering does not apply to aggregated querysets: order explicitly.
        return super().get_queryset(request).annotate(leads_linked=Count("leads")).order_by("title")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "url":
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
    fields = ["campaign", "state", "stop_reason", "next_order", "next_due_at", "started_at"]
    readonly_fields = fields
    verbose_name_plural = "sequences"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each row shows its campaign, and names its lead: read with the rows, not per row.
        return super().get_queryset(request).select_related("campaign", "lead")


class TimelineInline(ReadOnlyInline):
    model = MessageLog
    fields = [
        "created_at",
        "campaign",
        "campaign_step",
        "subject",
        "status",
        "sent_at",
        "opened_at",
        "clicked_at",
        "replied_at",
        "error_message",
    ]
    readonly_fields = fields
    ordering = ["-created_at"]
    verbose_name_plural = "timeline (every message)"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .filter(is_test=False)
            # A step's name includes its campaign's: both read with the rows.
            .select_related("campaign", "campaign_step__campaign")
        )


@admin.register(Lead)
class LeadAdmin(TenantScopedAdmin, ModelAdmin, ExportActionModelAdmin):
    resource_classes = [LeadResource]
    export_form_class = SelectableFieldsExportForm
    list_display = [
        "name",
        "email",
        "phone",
        "city",
        "status_badge",
        "budget",
        "source",
        "created_at",
    ]
    list_filter = [
        "status",
        ("source", TenantValuesFilter),
        ("created_at", RangeDateFilter),
        ("property", TenantRelatedFilter),
    ]
    list_filter_submit = True
    search_fields = ["name", "email", "phone", "city"]
    autocomplete_fields = ["property"]
    list_select_related = ["property"]
    # One COUNT of the filtered list per view, not a second one of the whole table.
    show_full_result_count = False
    warn_unsaved_form = True
    actions_list = ["import_csv"]
    actions = ["add_to_campaign", "delete_selected"]
    inlines = [EnrollmentInline, TimelineInline]
    fieldsets = [
        (None, {"fields": ["organization", "name", "email", "phone", "status"]}),
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

    @admin.action(description="Add to campaign…")
    def add_to_campaign(self, request: HttpRequest, queryset: QuerySet[Lead]) -> Any:
        from campaigns.admin_views import add_leads_to_campaign

        return add_leads_to_campaign(self, request, queryset)

    @action(description="Import CSV", icon="upload_file", url_path="import-csv")
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

    @action(description="Import CSV", icon="upload_file", url_path="import-csv")
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
