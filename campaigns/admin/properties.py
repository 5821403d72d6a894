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
from campaigns.listing_alerts import triggers
from crm.models import Property
from crm.site.numbers import price
from crm.site.tenancy import (
    TenantScopedAdmin,
)

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

    @display(description=_("Price"), ordering="price")
    def price_display(self, obj: Property) -> str:
        return price(obj.price, obj.organization)

    @display(description=_("Leads"), ordering="leads_linked")
    def lead_count(self, obj: "WithAnnotations[Property, _Linked]") -> int:
        return obj.leads_linked
