"""The admin of listing alerts: the home says what waits, the review page shows the listing,
its leads and its email for one of them, Send and Dismiss are confirmed POSTs, properties
saved in the admin make alerts, Launch turns a listing alert campaign on; and each agency
sees only its own."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignStep, ListingAlert, MessageLog
from crm.models import Lead, Property
from tests.conftest import (
    ALERT_EMAIL,
    campaign_page,
    list_property,
    make_buyer,
    make_listing_alerts,
)


@pytest.fixture
def waiting(org_a, listing_alerts_a, staff_a):
    make_buyer(org_a, "Ana Souza")
    make_buyer(org_a, "Carl Berg")
    make_buyer(org_a, "Elsewhere", city="Burbank")
    list_property(org_a, user=staff_a)
    return ListingAlert.objects.get()


def review(alert):
    return reverse("admin:campaigns_listingalert_change", args=[alert.pk])


def test_the_home_says_which_alerts_wait(client_a, waiting):
    page = client_a.get(reverse("admin:index")).content.decode()
    assert "New listing 12 Oak St fits 2 leads: review and send" in page
    assert review(waiting) in page


def test_the_review_page_shows_the_listing_its_leads_and_its_email(client_a, waiting):
    page = client_a.get(review(waiting)).content.decode()
    assert "New listing 12 Oak St fits 2 leads: review and send" in page
    assert "2 leads fit it now" in page
    assert f"?listing_alert={waiting.pk}" in page
    assert reverse("admin:campaigns_listingalert_send", args=[waiting.pk]) in page
    assert 'id="preview-subject">Craftsman bungalow in Pasadena<' in page
    assert "Ana Souza &lt;ana.souza@example.com&gt;" in page  # the first lead it fits
    assert "Elsewhere" not in page


def test_the_preview_can_show_another_lead_it_fits_but_no_other(client_a, waiting):
    carl = Lead.objects.get(name="Carl Berg")
    other = Lead.objects.get(name="Elsewhere")
    page = client_a.get(f"{review(waiting)}?lead={carl.pk}").content.decode()
    assert "To Carl Berg" in page
    page = client_a.get(f"{review(waiting)}?lead={other.pk}").content.decode()
    assert "To Ana Souza" in page


def test_the_leads_link_lists_the_leads_it_fits(client_a, waiting):
    page = client_a.get(f"{reverse('admin:crm_lead_changelist')}?listing_alert={waiting.pk}")
    text = page.content.decode()
    assert "Ana Souza" in text and "Carl Berg" in text and "Elsewhere" not in text


def test_send_asks_first_then_sends_on_post(client_a, waiting):
    url = reverse("admin:campaigns_listingalert_send", args=[waiting.pk])
    page = client_a.get(url).content.decode()
    assert "Send “New listing 12 Oak St” to 2 leads?" in page
    assert not MessageLog.objects.exists()
    response = client_a.post(url, follow=True)
    assert response.redirect_chain[-1][0] == review(waiting)
    assert "Sent: 2 messages queued." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == ListingAlert.State.SENT
    assert MessageLog.objects.filter(status="queued").count() == 2
    again = client_a.post(url, follow=True).content.decode()
    assert "New listing 12 Oak St: sent to 2 leads" in again
    assert MessageLog.objects.count() == 2


def test_dismiss_asks_first_then_dismisses_on_post(client_a, waiting):
    url = reverse("admin:campaigns_listingalert_dismiss", args=[waiting.pk])
    assert "Dismiss “New listing 12 Oak St”?" in client_a.get(url).content.decode()
    response = client_a.post(url, follow=True)
    assert "Dismissed: nothing was sent." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == ListingAlert.State.DISMISSED
    assert "review and send" not in client_a.get(reverse("admin:index")).content.decode()


def test_another_agency_sees_nothing_of_it(client_b, waiting):
    for name in ("change", "send", "dismiss"):
        url = reverse(f"admin:campaigns_listingalert_{name}", args=[waiting.pk])
        assert client_b.get(url).status_code == 404
        assert client_b.post(url).status_code == 404
    assert "12 Oak St" not in client_b.get(reverse("admin:index")).content.decode()
    listed = client_b.get(reverse("admin:campaigns_listingalert_changelist")).content.decode()
    assert "12 Oak St" not in listed
    leads = client_b.get(f"{reverse('admin:crm_lead_changelist')}?listing_alert={waiting.pk}")
    assert "Ana Souza" not in leads.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == ListingAlert.State.PENDING


def test_a_property_added_in_the_admin_makes_an_alert(client_a, org_a, listing_alerts_a, staff_a):
    make_buyer(org_a, "Ana Souza")
    response = client_a.post(
        reverse("admin:crm_property_add"),
        {
            "title": "Craftsman bungalow",
            "address": "12 Oak St",
            "city": "Pasadena",
            "price": "1000000",
            "bedrooms": "3",
            "url": "https://agency.example/oak",
            "photo_url": "",
            "status": "available",
        },
        follow=True,
    )
    alert = ListingAlert.objects.get()
    assert (alert.created_by, alert.matched) == (staff_a, 1)
    page = response.content.decode()
    said = "New listing 12 Oak St fits 1 lead: review and send"
    assert f'<a href="{review(alert)}">{said}</a>' in page


def test_a_price_lowered_in_the_admin_makes_an_alert(client_a, org_a, listing_alerts_a):
    make_buyer(org_a, "Ana Souza", budget=(500_000, 900_000))
    item = list_property(org_a)
    data = {
        "title": item.title,
        "address": item.address,
        "city": item.city,
        "price": "880000",
        "bedrooms": "3",
        "url": item.url,
        "photo_url": item.photo_url,
        "status": "available",
    }
    client_a.post(reverse("admin:crm_property_change", args=[item.pk]), data)
    client_a.post(reverse("admin:crm_property_change", args=[item.pk]), data)
    assert Property.objects.get().price == 880_000
    drop = ListingAlert.objects.get(reason=ListingAlert.Reason.PRICE_DROP)
    assert (drop.old_price, drop.new_price, drop.matched) == (1_000_000, 880_000, 1)


def test_launch_turns_a_listing_alert_campaign_on(client_a, org_a, account_a):
    campaign = Campaign.objects.create(
        organization=org_a, name="Alerts", type=Campaign.Type.LISTING_ALERT, email_account=account_a
    )
    CampaignStep.objects.create(campaign=campaign, subject="New", body_template=ALERT_EMAIL)
    url = reverse("admin:campaigns_campaign_launch", args=[campaign.pk])
    assert "Turn on “Alerts”?" in client_a.get(url).content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    response = client_a.post(url, follow=True)
    assert "Listing alerts are on" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE


def test_launching_an_alert_s_email_leads_to_the_alert(client_a, waiting):
    url = reverse("admin:campaigns_campaign_launch", args=[waiting.blast_id])
    response = client_a.post(url)
    assert response.status_code == 302 and response["Location"] == review(waiting)
    assert not MessageLog.objects.exists()


def test_the_campaign_page_keeps_the_alert_settings(client_a, org_a, account_a):
    campaign = make_listing_alerts(org_a, account_a)
    data = campaign_page(
        campaign,
        alert_new_listings="on",
        alert_price_drop="8",
        alert_statuses=["new", "qualified"],
        alert_send_automatically="on",
    )
    response = client_a.post(reverse("admin:campaigns_campaign_change", args=[campaign.pk]), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.alert_price_drop == 8
    assert campaign.alert_statuses == ["new", "qualified"]
    assert campaign.alert_send_automatically
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert "Its alerts" in page.content.decode()
