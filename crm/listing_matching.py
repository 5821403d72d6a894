"""The leads a listing fits: same city (in any case), a budget range that holds its price,
an optional set of statuses, and nobody who must not be emailed.

A budget's missing end is open: a lead with only a maximum fits every price up to it, and
a lead with no budget at all fits every listing of their city. A listing without a price
fits on its city alone. The query reads the budget through the expressions of the
`crm_lead_listing_fit` index, which serves it (bench/listing_matching.py).
"""

from collections.abc import Iterable

from django.db.models import QuerySet, Value
from django.db.models.functions import Lower

from crm.models import HIGHEST_BUDGET, LOWEST_BUDGET, Lead, Property
from crm.suppression import listed_leads

# Why a listing reaches nobody, in words for staff ({listing}: its address or title).
OFF_MARKET = "{listing} is {status}: listing alerts are for properties on the market."
NO_CITY = "{listing} has no city, so no lead's search can fit it. Add its city."


def listing_name(item: Property) -> str:
    """How staff and leads call a listing: its address, else its title."""
    return item.address or item.title


def unfit_reason(item: Property) -> str:
    """Why no lead can be told about the listing at all, or "" when some may."""
    if item.status in Property.OFF_MARKET:
        status = item.get_status_display().lower()
        return OFF_MARKET.format(listing=listing_name(item), status=status)
    if not item.city.strip():
        return NO_CITY.format(listing=listing_name(item))
    return ""


def fitting_leads(item: Property, statuses: Iterable[str] = ()) -> QuerySet[Lead]:
    """The leads of the listing's organization it fits, opted-out and suppressed ones left
    out; empty when the listing cannot fit anyone (see unfit_reason)."""
    if unfit_reason(item):
        return Lead.objects.none()
    leads = Lead.objects.filter(organization=item.organization_id).alias(
        city_key=Lower("city"), highest=HIGHEST_BUDGET, lowest=LOWEST_BUDGET
    )
    leads = leads.filter(city_key=Lower(Value(item.city.strip())))
    if item.price is not None:
        leads = leads.filter(highest__gte=item.price, lowest__lte=item.price)
    statuses = list(statuses)
    if statuses:
        leads = leads.filter(status__in=statuses)
    # No ordering: the leads' default one would have SQLite walk its created_at index.
    return leads.filter(unsubscribed_at__isnull=True).exclude(listed_leads()).order_by()
