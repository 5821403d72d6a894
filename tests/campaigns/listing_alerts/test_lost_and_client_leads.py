"""A listing alert leaves Lost and Client leads out unless its campaign ticks them, and its
form says so."""

from django.urls import reverse

from campaigns.models import Campaign, ListingAlert
from crm.models import Lead
from tests.conftest import list_property, make_buyer


def test_lost_and_client_leads_hear_of_a_listing_only_when_ticked(org_a, listing_alerts_a):
    make_buyer(org_a, "Ana New")
    make_buyer(org_a, "Lou Lost", status=Lead.Status.LOST)
    make_buyer(org_a, "Cleo Client", status=Lead.Status.CLIENT)
    list_property(org_a)
    assert ListingAlert.objects.get().matched == 1
    Campaign.objects.filter(pk=listing_alerts_a.pk).update(alert_statuses=["new", "client"])
    list_property(org_a, address="14 Oak St")
    assert ListingAlert.objects.get(property__address="14 Oak St").matched == 2


def test_the_form_says_who_is_left_out(client_a, listing_alerts_a):
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[listing_alerts_a.pk]))
    assert "None ticked: every lead but clients and lost leads" in page.content.decode()
