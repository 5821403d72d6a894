"""The demo has a listing alert campaign, on; the listing it adds waits for review with the
leads it fits, and sending it queues their messages; a listing added later alerts too."""

from io import StringIO

from django.core.management import call_command

from campaigns.listing_alerts import triggers
from campaigns.models import Campaign, ListingAlert, MessageLog
from campaigns.outbox import sending
from crm.models import Organization, Property


def test_the_demo_s_new_listing_waits_for_review_and_sends(db):
    call_command("load_demo", "--force", stdout=StringIO())
    campaign = Campaign.objects.get(name="New listings and price drops")
    assert (campaign.type, campaign.status) == (Campaign.Type.LISTING_ALERT, "active")
    alert = ListingAlert.objects.get(campaign=campaign)
    assert alert.state == ListingAlert.State.PENDING and alert.matched > 5
    assert triggers.summary(alert) == (
        f"New listing 12 Oak St fits {alert.matched} leads: review and send"
    )
    call_command("load_demo", "--force", stdout=StringIO())
    assert ListingAlert.objects.filter(campaign=campaign).count() == 1
    triggers.alert_send(alert=alert, user=None)
    queued = MessageLog.objects.filter(campaign=alert.blast, status="queued")
    assert queued.count() == alert.matched
    first = queued.select_related("email_account").first()
    sending.render_claimed(first, first.email_account)  # written when claimed, as the sender does
    assert first.subject == "Just listed: Craftsman bungalow with a garden in Pasadena"


def test_a_listing_added_to_the_demo_alerts_the_leads_it_fits(db):
    call_command("load_demo", "--force", stdout=StringIO())
    sunset = Organization.objects.get(slug="sunset-realty")
    item = Property(organization=sunset, title="Hillside home", city="Burbank", price=950_000)
    [alert] = triggers.property_save(item=item)
    assert alert.state == ListingAlert.State.PENDING and alert.matched > 0
