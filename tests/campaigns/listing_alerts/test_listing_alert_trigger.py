"""What makes a listing alert: a new property, or a price drop of at least the campaign's
threshold measured from the last alert's price; never a save that changes nothing, nor
the same drop twice."""

from campaigns.models import Campaign, ListingAlert
from tests.conftest import list_property, make_buyer, make_listing_alerts, reprice


def alerts_of(campaign):
    return list(campaign.listing_alerts.order_by("created_at"))


def test_a_new_property_makes_an_alert_that_waits_for_review(org_a, listing_alerts_a, staff_a):
    make_buyer(org_a, "Ana Souza")
    item = list_property(org_a, user=staff_a)
    [alert] = alerts_of(listing_alerts_a)
    assert alert.reason == ListingAlert.Reason.NEW
    assert alert.state == ListingAlert.State.PENDING
    assert (alert.property, alert.new_price, alert.matched) == (item, 1_000_000, 1)
    assert alert.created_by == staff_a
    assert alert.blast.type == Campaign.Type.BLAST
    assert alert.blast.status == Campaign.Status.DRAFT
    assert alert.blast.steps.get().body_template == listing_alerts_a.steps.get().body_template


def test_a_drop_of_at_least_the_threshold_makes_an_alert(org_a, listing_alerts_a):
    make_buyer(org_a, "Ana Souza", budget=(800_000, 960_000))
    item = list_property(org_a)
    [alert] = reprice(item, 950_000)
    assert alert.reason == ListingAlert.Reason.PRICE_DROP
    assert (alert.old_price, alert.new_price, alert.matched) == (1_000_000, 950_000, 1)


def test_a_smaller_drop_makes_none(org_a, listing_alerts_a):
    item = list_property(org_a)
    assert reprice(item, 951_000) == []
    assert len(alerts_of(listing_alerts_a)) == 1


def test_saving_a_property_unchanged_makes_none(org_a, listing_alerts_a):
    item = list_property(org_a)
    reprice(item, 900_000)
    assert reprice(item, 900_000) == []
    assert reprice(item, 900_000) == []
    assert len(alerts_of(listing_alerts_a)) == 2


def test_a_drop_a_rise_and_the_same_drop_alert_once(org_a, listing_alerts_a):
    item = list_property(org_a)
    assert len(reprice(item, 900_000)) == 1
    assert reprice(item, 1_000_000) == []
    assert reprice(item, 900_000) == []
    assert [a.new_price for a in alerts_of(listing_alerts_a)] == [1_000_000, 900_000]


def test_drops_add_up_from_the_last_alert(org_a, listing_alerts_a):
    """Cuts of 3% then 3% more: the second is 6% below the last alert's price."""
    item = list_property(org_a)
    assert reprice(item, 970_000) == []
    [alert] = reprice(item, 940_000)
    assert (alert.old_price, alert.new_price) == (1_000_000, 940_000)


def test_a_campaign_without_new_listing_alerts_waits_for_a_drop(org_a, account_a):
    campaign = make_listing_alerts(org_a, account_a, alert_new_listings=False)
    item = list_property(org_a)
    assert alerts_of(campaign) == []
    [alert] = reprice(item, 900_000)
    assert alert.old_price == 1_000_000


def test_a_campaign_without_a_threshold_ignores_drops(org_a, account_a):
    campaign = make_listing_alerts(org_a, account_a, alert_price_drop=None)
    item = list_property(org_a)
    assert reprice(item, 500_000) == []
    assert len(alerts_of(campaign)) == 1


def test_only_campaigns_that_are_on_listen(org_a, listing_alerts_a):
    Campaign.objects.filter(pk=listing_alerts_a.pk).update(status=Campaign.Status.PAUSED)
    draft = Campaign.objects.create(
        organization=org_a, name="Draft alerts", type=Campaign.Type.LISTING_ALERT
    )
    list_property(org_a)
    assert alerts_of(listing_alerts_a) == alerts_of(draft) == []


def test_a_property_alerts_only_its_own_agency(org_a, org_b, account_b, listing_alerts_a):
    theirs = make_listing_alerts(org_b, account_b)
    list_property(org_b)
    assert alerts_of(listing_alerts_a) == []
    assert len(alerts_of(theirs)) == 1
