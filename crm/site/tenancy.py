"""Tenant scoping for the admin: staff see and act on their own organizations' data only."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.decorators import display

from crm.models import Membership, Organization
from crm.site import changelist


def organizations_of(user: Any) -> models.QuerySet[Organization]:
    if user.is_superuser:
        return Organization.objects.all()
    if not user.is_active or not user.is_staff:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user)


def organization_ids(request: HttpRequest) -> list[Any]:
    """The ids of the user's organizations, read once per request. A literal list (rather
    than a subquery) lets PostgreSQL plan `organization_id = …` on the tenant indexes, which
    keeps the big lists and the dashboard on index scans."""
    cache = vars(request)  # kept on the request itself, gone with it
    if "_organization_ids" not in cache:
        ids = organizations_of(request.user).values_list("pk", flat=True)
        cache["_organization_ids"] = list(ids)
    return cache["_organization_ids"]


def is_member(user: Any) -> bool:
    """Whether the user may use the admin at all. Asked for every model on every page (the
    sidebar, each permission check: forty times for a list), so it is read once and kept
    on the user object, which lives for one request."""
    if not hasattr(user, "_is_member"):
        user._is_member = user.is_superuser or (
            user.is_active and user.is_staff and Membership.objects.filter(user=user).exists()
        )
    return user._is_member


class TenantFormMixin(forms.ModelForm):
    """Sets the organization before validation, so constraints that name it are checked."""

    tenant_organization: Organization | None = None

    # Two of ModelForm's private hooks, which django-stubs does not declare.
    def _post_clean(self) -> None:
        if self.tenant_organization is not None and self.instance._state.adding:
            self.instance.organization = self.tenant_organization
        super()._post_clean()  # type: ignore[misc]

    def _get_validation_exclusions(self) -> set[str]:
        exclude: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        if self.tenant_organization is not None:
            exclude.discard("organization")
        return exclude


class TenantScopedAdmin(admin.ModelAdmin):
    """One mixin for every ModelAdmin of tenant data.

    `tenant_path` is the lookup from the model to its Organization. Querysets, foreign-key
    choices, autocomplete, actions and exports all go through `get_queryset`, so scoping it
    scopes them all.
    """

    tenant_path = "organization"
    # unfold's list template asks for `list_sections` twice a row; a missing attribute costs
    # a dir() of the whole ModelAdmin each time (Django's template look-up): 15 ms a page.
    list_sections: tuple = ()

    @display(description=UnfoldModelAdmin.action_checkbox.short_description)
    def action_checkbox(self, obj: Any) -> str:
        return changelist.row_checkbox(obj.pk)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.tenant_path}__in": organization_ids(request)})

    # Membership of an organization is what grants access to its data.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_member(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_member(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_member(request.user)

    def _sole_organization(self, request: HttpRequest) -> Organization | None:
        """The organization new objects get without asking, when the user has just one."""
        if request.user.is_superuser or self.tenant_path != "organization":
            return None
        organizations = list(organizations_of(request.user)[:2])
        return organizations[0] if len(organizations) == 1 else None

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])
        if self.tenant_path == "organization" and (
            obj is not None or self._sole_organization(request) is not None
        ):
            # An object never moves between organizations; a lone membership needs no choice.
            exclude.append("organization")
        return exclude

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if "organization" not in self.get_exclude(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "organization"]})
            for name, options in fieldsets
        ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        organization = self._sole_organization(request) if obj is None else None
        return type(form.__name__, (TenantFormMixin, form), {"tenant_organization": organization})

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        queryset = self.scoped_choices(db_field.related_model, request)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        queryset = self.scoped_choices(db_field.related_model, request)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_valid_export_item_pks(self, request: HttpRequest) -> Any:
        """django-import-export's export action checks ids against this: scope it too."""
        return self.get_queryset(request).values_list("pk", flat=True)

    def scoped_choices(
        self, model: type[models.Model], request: HttpRequest
    ) -> models.QuerySet[Any] | None:
        if model is Organization:
            return organizations_of(request.user)
        related_admin = self.admin_site._registry.get(model)
        if isinstance(related_admin, TenantScopedAdmin):
            return related_admin.get_queryset(request)
        return None


class TenantRelatedFilter(admin.RelatedFieldListFilter):
    """A list filter on a foreign key that offers the user's organizations' objects, read
    from the related table through its own scoped admin. (Django's RelatedOnlyFieldListFilter
    would scan the filtered table for the ids in use: millions of message rows.)"""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        related_admin = model_admin.admin_site._registry.get(field.related_model)
        if related_admin is None:
            return []
        queryset = related_admin.get_queryset(request)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class TenantValuesFilter(admin.AllValuesFieldListFilter):
    """The values a field takes in the user's organizations, found by skipping through the
    (organization, field) index one value at a time: as many index lookups as there are
    values, instead of reading every row (Django's filter reads a million leads)."""

    most = 100

    def __init__(self, field: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(field, request, *args, **kwargs)
        model = field.model
        organizations = [None] if request.user.is_superuser else organization_ids(request)
        values: set[Any] = set()
        for organization in organizations:
            rows = model._default_manager.exclude(**{f"{self.field_path}__isnull": True})
            if organization is not None:
                rows = rows.filter(organization=organization)
            rows = rows.order_by(self.field_path).values_list(self.field_path, flat=True)
            value = rows.first()
            while value is not None and len(values) < self.most:
                values.add(value)
                value = rows.filter(**{f"{self.field_path}__gt": value}).first()
        # django-stubs says a QuerySet; Django only iterates it.
        self.lookup_choices = sorted(values)  # type: ignore[assignment]
