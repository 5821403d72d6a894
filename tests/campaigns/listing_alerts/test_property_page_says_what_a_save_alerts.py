"""The property page says which listing alert campaigns a save will alert, and at what
price a drop does; prices read in the agency's currency, the link field in words."""

from django.urls import reverse

from campaigns.listing_alerts import triggers
from campaigns.models import Campaign
from crm.models import Property
from tests.conftest import list_property, make_buyer, reprice


def test_a_new_listing_names_the_campaigns_it_will_alert(client_a, org_a, listing_alerts_a):
    Campaign.objects.filter(pk=listing_alerts_a.pk).update(name="New listings and drops")
    page = client_a.get(reverse("admin:crm_property_add")).content.decode()
    assert (
        "Saving this new listing makes an alert of “New listings and drops” to the leads whose "
        "city and budget it fits (after your review)."
    ) in page


def test_a_saved_listing_says_the_price_that_makes_a_drop_alert(client_a, org_a, listing_alerts_a):
    make_buyer(org_a, "Ana Souza")
    item = list_property(org_a)
    url = reverse("admin:crm_property_change", args=[item.pk])
    assert "A price of $950,000 or less (5% under $1,000,000) makes an alert" in (
        client_a.get(url).content.decode()
    )
    reprice(item, 940_000)  # measured from that alert's price from now on
    assert "A price of $893,000 or less (5% under $940,000) makes an alert" in (
        client_a.get(url).content.decode()
    )


def test_the_sentence_matches_what_the_save_does(org_a, listing_alerts_a):
    make_buyer(org_a, "Ana Souza", budget=(0, 2_000_000))
    item = list_property(org_a)
    (sentence,) = triggers.save_alerts(item=Property.objects.get(pk=item.pk), organization=org_a)
    assert sentence.startswith("A price of $950,000 or less")
    assert reprice(item, 950_001) == []
    assert len(reprice(item, 950_000)) == 1


def test_without_a_listening_campaign_the_page_says_a_save_alerts_nobody(client_a, org_a):
    page = client_a.get(reverse("admin:crm_property_add")).content.decode()
    assert "Saving this listing alerts nobody: no listing alert campaign of the agency is on." in (
        page
    )


def test_prices_read_in_the_agencys_currency_and_the_link_field_in_words(client_a, org_a):
    list_property(org_a)
    listing = client_a.get(reverse("admin:crm_property_changelist")).content.decode()
    assert "$1,000,000" in listing
    form = client_a.get(reverse("admin:crm_property_add")).content.decode()
    assert ">Listing page<" in form and ">Url<" not in form
    assert "In USD, whole units: $1,250,000." in form
