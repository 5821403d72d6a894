"""The admin for organizations, memberships, properties and leads."""

from typing import TYPE_CHECKING, Any, TypedDict

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.admin import AccessLogAdmin as BaseAccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from crm.importing.import_views import SuppressionImportView
from crm.members import staff_group_join
from crm.models import CustomField, Membership, Organization, SuppressedAddress, Tag
from crm.site.tenancy import (
    TenantScopedAdmin,
    is_member,
    organizations_of,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Totals(TypedDict):
    """What the organizations' list adds to each organization."""

    member_total: int
    lead_total: int


class _Tagged(TypedDict):
    """What the tags' list adds to each tag."""

    lead_total: int


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
    fields = ["name", "slug", "timezone", "country", "language", "currency", "postal_address"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        # Through a subquery: counted over organizations_of's own join on memberships, the
        # members would be the requesting user alone ("Members 1" for an agency of two).
        mine = organizations_of(request.user).values("pk")
        return (
            Organization.objects.filter(pk__in=mine)
            .annotate(
                member_total=Count("memberships", distinct=True),
                lead_total=Count("leads", distinct=True),
            )
            .order_by("name")
        )

    @display(description="Members", ordering="member_total")
    def member_count(self, obj: "WithAnnotations[Organization, _Totals]") -> int:
        return obj.member_total

    @display(description="Leads", ordering="lead_total")
    def lead_count(self, obj: "WithAnnotations[Organization, _Totals]") -> int:
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
        if not request.user.is_authenticated:
            return False
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

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "email" in form.base_fields:  # blank only for an erased lead's hashed entry
            form.base_fields["email"].required = True
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # An entry made by an unsubscribe or a bounce is a record: staff may only remove it.
        return ["email", "reason", "detail"] if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)


@admin.register(Tag)
class TagAdmin(TenantScopedAdmin, ModelAdmin):
    """An agency's tags: imported with its leads, or added here; the leads list filters by
    them and a campaign's audience may ask for them."""

    list_display = ["name", "lead_count"]
    search_fields = ["name"]
    fields = ["organization", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(lead_total=Count("leads"))

    @display(description="Leads", ordering="lead_total")
    def lead_count(self, obj: "WithAnnotations[Tag, _Tagged]") -> int:
        return obj.lead_total


@admin.register(CustomField)
class CustomFieldAdmin(TenantScopedAdmin, ModelAdmin):
    """The columns imports kept as custom fields, and how templates name them."""

    list_display = ["key", "label", "in_templates", "created_at"]
    search_fields = ["key", "label"]
    fields = ["organization", "key", "label"]

    @display(description="In templates")
    def in_templates(self, obj: CustomField) -> str:
        return "{{ lead.custom." + obj.key + " }}"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # made by an import, from a column of the file
