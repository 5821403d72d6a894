"""An alert that can reach nobody sends nothing and says why: a sold or withdrawn property,
a listing without a city, or no lead it fits (at the alert, or by the time it is sent)."""

import pytest

from campaigns.listing_alerts import triggers
from campaigns.models import AlertedLead, ListingAlert, MessageLog
from crm.listing_matching import NO_CITY, OFF_MARKET
from crm.models import Property
from tests.conftest import list_property, make_buyer, reprice


@pytest.mark.parametrize("status", [Property.Status.SOLD, Property.Status.WITHDRAWN])
def test_a_property_off_the_market_alerts_nobody_and_says_so(org_a, listing_alerts_a, status):
    make_buyer(org_a, "Ana")
    item = list_property(org_a, status=status)
    alert = ListingAlert.objects.get(property=item)
    assert alert.state == ListingAlert.State.REFUSED
    label = Property.Status(status).label.lower()
    assert alert.refusal == OFF_MARKET.format(listing="12 Oak St", status=label)
    assert alert.blast is None and alert.matched == 0


def test_a_listing_without_a_city_alerts_nobody(org_a, listing_alerts_a):
    make_buyer(org_a, "Ana")
    item = list_property(org_a, city="")
    alert = ListingAlert.objects.get(property=item)
    assert alert.refusal == NO_CITY.format(listing="12 Oak St")


def test_a_listing_no_lead_fits_alerts_nobody_and_says_so(org_a, listing_alerts_a):
    make_buyer(org_a, "Elsewhere", city="Burbank")
    item = list_property(org_a)
    alert = ListingAlert.objects.get(property=item)
    assert alert.state == ListingAlert.State.REFUSED
    assert alert.refusal == triggers.NOBODY_FITS.format(
        listing="12 Oak St", where="Pasadena, $1,000,000"
    )
    assert triggers.summary(alert).startswith("New listing 12 Oak St: nothing sent. No lead")


def test_a_property_sold_while_its_alert_waits_is_refused_when_sent(
    org_a, listing_alerts_a, staff_a
):
    make_buyer(org_a, "Ana")
    item = list_property(org_a)
    Property.objects.filter(pk=item.pk).update(status=Property.Status.SOLD)
    alert = triggers.alert_send(alert=ListingAlert.objects.get(property=item), user=staff_a)
    assert alert.state == ListingAlert.State.REFUSED
    assert "is sold" in alert.refusal
    assert alert.blast is None
    assert not MessageLog.objects.exists() and not AlertedLead.objects.exists()


def test_an_alert_whose_leads_were_all_told_meanwhile_is_refused_when_sent(
    org_a, listing_alerts_a, staff_a
):
    make_buyer(org_a, "Ana", budget=(500_000, 1_000_000))
    item = list_property(org_a)
    [drop] = reprice(item, 900_000)
    assert drop.state == ListingAlert.State.PENDING
    triggers.alert_send(alert=ListingAlert.objects.get(reason="new"), user=staff_a)
    refused = triggers.alert_send(alert=drop, user=staff_a)
    assert refused.state == ListingAlert.State.REFUSED
    assert refused.refusal.startswith("No lead fits 12 Oak St (Pasadena, $900,000)")
    assert MessageLog.objects.count() == 1


def test_an_alert_whose_email_was_deleted_while_it_waits_is_refused_when_sent(
    org_a, listing_alerts_a, staff_a
):
    make_buyer(org_a, "Ana")
    item = list_property(org_a)
    waiting = ListingAlert.objects.get(property=item)
    waiting.blast.delete()  # a draft: staff may delete it from the campaigns' list
    alert = triggers.alert_send(alert=ListingAlert.objects.get(pk=waiting.pk), user=staff_a)
    assert alert.state == ListingAlert.State.REFUSED
    assert alert.refusal == triggers.EMAIL_DELETED
    assert not MessageLog.objects.exists() and not AlertedLead.objects.exists()
