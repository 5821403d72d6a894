"""Who a listing alert reaches: the agency's leads of the listing's city (any case) whose
budget holds its price (a missing end is open) and whose status the campaign asks for,
never one who opted out or is suppressed, nor one already told about the listing."""

import pytest
from django.db import IntegrityError, connection

from campaigns.audiences.listing_fit import reachable_leads
from campaigns.listing_alerts import triggers
from campaigns.models import AlertedLead, ListingAlert
from crm.listing_matching import fitting_leads
from crm.models import Lead, Property, SuppressedAddress
from tests.conftest import list_property, make_buyer, make_listing_alerts, reprice


def names(leads):
    return sorted(leads.values_list("name", flat=True))


def test_the_listing_fits_leads_of_its_city_in_any_case_whose_budget_holds_its_price(org_a):
    make_buyer(org_a, "In budget")
    make_buyer(org_a, "Shouting city", city="PASADENA ")
    make_buyer(org_a, "Lower case", city="pasadena")
    make_buyer(org_a, "Too rich", budget=(1_100_000, 2_000_000))
    make_buyer(org_a, "Too poor", budget=(300_000, 900_000))
    make_buyer(org_a, "Elsewhere", city="Burbank")
    make_buyer(org_a, "Exactly", budget=(1_000_000, 1_000_000))
    item = Property(organization=org_a, title="Oak", city="Pasadena", price=1_000_000)
    assert names(fitting_leads(item)) == ["Exactly", "In budget", "Lower case"]


def test_a_missing_end_of_a_budget_is_open(org_a):
    make_buyer(org_a, "Only a maximum", budget=(None, 1_000_000))
    make_buyer(org_a, "Only a minimum", budget=(900_000, None))
    make_buyer(org_a, "No budget", budget=(None, None))
    make_buyer(org_a, "Minimum too high", budget=(1_000_001, None))
    item = Property(organization=org_a, title="Oak", city="Pasadena", price=1_000_000)
    assert names(fitting_leads(item)) == ["No budget", "Only a maximum", "Only a minimum"]


def test_a_listing_without_a_price_fits_on_its_city(org_a):
    make_buyer(org_a, "Any budget", budget=(1, 2))
    item = Property(organization=org_a, title="Oak", city="Pasadena", price=None)
    assert names(fitting_leads(item)) == ["Any budget"]


def test_the_campaign_statuses_narrow_it(org_a, account_a):
    make_buyer(org_a, "New one", status=Lead.Status.NEW)
    make_buyer(org_a, "Client", status=Lead.Status.CLIENT)
    campaign = make_listing_alerts(org_a, account_a, alert_statuses=["new", "qualified"])
    list_property(org_a)
    alert = campaign.listing_alerts.get()
    assert alert.matched == 1
    assert names(reachable_leads(alert)) == ["New one"]


def test_opted_out_and_suppressed_leads_are_left_out(org_a):
    make_buyer(org_a, "Reachable")
    opted_out = make_buyer(org_a, "Opted out")
    Lead.objects.filter(pk=opted_out.pk).update(unsubscribed_at="2026-01-01T00:00:00Z")
    make_buyer(org_a, "Listed")
    SuppressedAddress.objects.create(organization=org_a, email="listed@example.com")
    item = Property(organization=org_a, title="Oak", city="Pasadena", price=1_000_000)
    assert names(fitting_leads(item)) == ["Reachable"]


def test_leads_already_told_about_the_listing_are_left_out(org_a, account_a, staff_a):
    """A lead who got the new-listing alert is not alerted about its price drop, even by
    another campaign; a lead the drop newly fits is."""
    make_buyer(org_a, "Told", budget=(800_000, 1_200_000))
    make_buyer(org_a, "Newly fits", budget=(500_000, 900_000))
    first = make_listing_alerts(org_a, account_a)
    item = list_property(org_a)
    triggers.alert_send(alert=first.listing_alerts.get(), user=staff_a)
    second = make_listing_alerts(org_a, account_a, alert_new_listings=False)
    alerts = reprice(item, 880_000)
    assert {alert.campaign for alert in alerts} == {first, second}
    assert all(names(reachable_leads(alert)) == ["Newly fits"] for alert in alerts)
    assert all(alert.matched == 1 for alert in alerts)


def test_the_database_tells_a_lead_about_a_listing_once(org_a, listing_alerts_a):
    lead = make_buyer(org_a, "Ana")
    item = list_property(org_a)
    alert = ListingAlert.objects.get(property=item)
    AlertedLead.objects.create(property=item, lead=lead, alert=alert)
    with pytest.raises(IntegrityError):
        AlertedLead.objects.create(property=item, lead=lead, alert=None)


def test_another_agency_s_leads_are_never_reached(org_a, org_b):
    make_buyer(org_b, "Theirs")
    item = Property(organization=org_a, title="Oak", city="Pasadena", price=1_000_000)
    assert names(fitting_leads(item)) == []


def test_the_listing_fit_index_serves_the_match(org_a):
    # An agency's leads over forty cities and their budgets, with statistics, so that the
    # planner chooses among the lead table's indexes as it would in production.
    Lead.objects.bulk_create(
        Lead(
            organization=org_a,
            name=f"Lead {n}",
            email=f"lead{n}@example.com",
            city=f"City {n % 40}",
            budget_min=300_000 + (n % 50) * 10_000,
            budget_max=600_000 + (n % 50) * 20_000,
        )
        for n in range(4_000)
    )
    make_buyer(org_a, "Ana")
    item = Property(organization=org_a, title="Oak", city="Pasadena", price=1_000_000)
    leads = fitting_leads(item, ["new"])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE crm_lead")
    assert "crm_lead_listing_fit" in leads.explain()
