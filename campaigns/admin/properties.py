"""The admin of properties (listings): saving one goes through the listing alerts' service,
so a new listing or a price drop makes the alerts it calls for, and the page says which."""

from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from campaigns.admin.listing_alert_admin import review_url
from campaigns.content.formats import price_text
from campaigns.listing_alerts import triggers
from crm.models import Property
from crm.site.tenancy import (
    TenantScopedAdmin,
    organizations_of,
)

EMPTY = "–"  # the admin's empty cell (settings.EMPTY_VALUE_DISPLAY... one dash everywhere)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Linked(TypedDict):
    """What the properties' list adds to each property."""

    leads_linked: int


@admin.register(Property)
class PropertyAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = ["title", "city", "price_display", "bedrooms", "status", "lead_count"]
    list_filter = ["city", "status"]
    list_filter_submit = True
    list_select_related = ["organization"]
    search_fields = ["title", "city", "address"]
    warn_unsaved_form = True
    # Which listing alerts a save makes, said above the form (triggers.save_alerts).
    change_form_before_template = "admin/crm/property/save_alerts.html"

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
        if db_field.name == "url":
            kwargs["label"] = _("Listing page")
            kwargs["help_text"] = _("The address of the listing on your website.")
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "price" and field is not None:
            organization = organizations_of(request.user).first()
            if organization is not None:
                field.help_text = _("In {currency}, whole units: {example}.").format(
                    currency=organization.currency,
                    example=price_text(1_250_000, organization),
                )
        return field

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        item = context.get("original") or Property()
        organization = (
            item.organization if item.organization_id else organizations_of(request.user).first()
        )
        if organization is not None:
            context["save_alerts"] = triggers.save_alerts(item=item, organization=organization)
        return super().render_change_form(request, context, *args, **kwargs)

    @display(description=_("Price"), ordering="price")
    def price_display(self, obj: Property) -> str:
        return price_text(obj.price, obj.organization) or EMPTY

    @display(description="Leads", ordering="leads_linked")
    def lead_count(self, obj: "WithAnnotations[Property, _Linked]") -> int:
        return obj.leads_linked
