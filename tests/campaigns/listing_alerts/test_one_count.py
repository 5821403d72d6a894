"""A waiting alert says one count: the leads it would be sent to now. When that differs
from the count when it was made, one sentence says both; the Send button's number is the
one that is sent. Prices read in the agency's currency."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.listing_alerts import triggers
from campaigns.models import ListingAlert, MessageLog
from tests.conftest import list_property, make_buyer, reprice


@pytest.fixture
def alert(org_a, listing_alerts_a):
    """12 Oak St listed when it fitted Ana alone; Bo and Cy added since."""
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=1)):
        make_buyer(org_a, "Ana Souza")
        list_property(org_a)
    make_buyer(org_a, "Bo Lee")
    make_buyer(org_a, "Cy Park")
    return ListingAlert.objects.get()


def test_the_summary_says_both_counts_in_one_sentence(alert):
    assert alert.matched == 1
    assert triggers.summary(alert) == (
        "New listing 12 Oak St fitted 1 lead when listed; 3 fit now, after 2 new leads: "
        "review and send"
    )


def test_an_unchanged_count_is_said_once(org_a, listing_alerts_a):
    make_buyer(org_a, "Ana Souza")
    list_property(org_a)
    assert triggers.summary(ListingAlert.objects.get()) == (
        "New listing 12 Oak St fits 1 lead: review and send"
    )


def test_the_home_the_list_and_the_page_say_the_same_and_the_button_sends_that_many(
    client_a, alert
):
    sentence = triggers.summary(alert)
    assert sentence in client_a.get(reverse("admin:index")).content.decode()
    listing = client_a.get(reverse("admin:campaigns_listingalert_changelist")).content.decode()
    assert sentence in listing
    page = client_a.get(reverse("admin:campaigns_listingalert_change", args=[alert.pk]))
    text = page.content.decode()
    assert sentence in text
    assert '<span id="alert-send">Send to 3 leads…</span>' in text
    assert "fits 1 lead" not in text
    client_a.post(reverse("admin:campaigns_listingalert_send", args=[alert.pk]))
    assert MessageLog.objects.filter(campaign=alert.blast_id).count() == 3


def test_a_price_drop_reads_in_the_agencys_currency(org_a, listing_alerts_a):
    make_buyer(org_a, "Ana Souza")
    item = list_property(org_a)
    (drop,) = reprice(item, 900_000)
    assert triggers.headline(drop) == "Price drop 12 Oak St: $1,000,000 → $900,000 (-10%)"
    org_a.language, org_a.country, org_a.currency = "fr", "FR", "EUR"
    org_a.save()
    drop = ListingAlert.objects.get(pk=drop.pk)
    assert triggers.headline(drop) == (
        "Price drop 12 Oak St: 1\u202f000\u202f000\xa0€ → 900\u202f000\xa0€ (-10%)"
    )
