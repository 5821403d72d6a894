"""Sending an alert: its blast is launched like any other (one queued message per lead it
fits, through the outbox), once; dismissing it sends nothing; a campaign may send its
alerts without review, and one that cannot waits, saying why."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.launching import blasts
from campaigns.listing_alerts import triggers
from campaigns.models import AlertedLead, Campaign, Dispatch, ListingAlert, MessageLog
from tests.conftest import list_property, make_buyer, make_listing_alerts


@pytest.fixture
def waiting(org_a, listing_alerts_a):
    """A new listing that fits Ana and Carl, waiting for review."""
    make_buyer(org_a, "Ana Souza")
    make_buyer(org_a, "Carl Berg", city="pasadena", budget=(None, 1_500_000))
    make_buyer(org_a, "Elsewhere", city="Burbank")
    list_property(org_a)
    return ListingAlert.objects.get()


def test_sending_queues_one_message_per_lead_it_fits(waiting, staff_a):
    alert = triggers.alert_send(alert=waiting, user=staff_a)
    assert alert.state == ListingAlert.State.SENT
    assert (alert.decided_by, alert.matched) == (staff_a, 2)
    blast = Campaign.objects.get(pk=alert.blast_id)
    assert (blast.status, blast.launched_by) == (Campaign.Status.ACTIVE, staff_a)
    launched = Dispatch.objects.get(campaign=blast)
    assert (launched.total, launched.skipped) == (2, 0)
    messages = MessageLog.objects.filter(campaign=blast).order_by("to_email")
    assert [m.to_email for m in messages] == ["ana.souza@example.com", "carl.berg@example.com"]
    assert {m.status for m in messages} == {MessageLog.Status.QUEUED}
    assert set(AlertedLead.objects.values_list("lead__name", flat=True)) == {
        "Ana Souza",
        "Carl Berg",
    }
    assert triggers.summary(alert) == "New listing 12 Oak St: sent to 2 leads"


def test_the_sender_delivers_it_through_the_outbox(waiting, staff_a, gmail_account, google):
    Campaign.objects.filter(pk=waiting.blast_id).update(email_account=gmail_account)
    triggers.alert_send(alert=ListingAlert.objects.get(), user=staff_a)
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())
    assert sorted(m["To"].addresses[0].addr_spec for m in google.sent) == [
        "ana.souza@example.com",
        "carl.berg@example.com",
    ]
    sent = google.sent[0]
    assert sent["Subject"] == "Craftsman bungalow in Pasadena"
    assert "See the listing: https://agency.example/oak" in sent.get_body(("plain",)).get_content()


def test_an_alert_is_sent_once(waiting, staff_a):
    triggers.alert_send(alert=waiting, user=staff_a)
    again = ListingAlert.objects.get()
    with pytest.raises(triggers.AlertError, match="This alert is sent already"):
        triggers.alert_send(alert=again, user=staff_a)
    with pytest.raises(triggers.AlertError, match="sent already"):
        triggers.alert_dismiss(alert=again, user=staff_a)
    assert MessageLog.objects.count() == 2


def test_dismissing_sends_nothing_and_deletes_the_unsent_email(waiting, staff_a):
    blast = waiting.blast
    alert = triggers.alert_dismiss(alert=waiting, user=staff_a)
    assert (alert.state, alert.decided_by, alert.blast) == (
        ListingAlert.State.DISMISSED,
        staff_a,
        None,
    )
    assert not Campaign.objects.filter(pk=blast.pk).exists()
    assert not MessageLog.objects.exists() and not AlertedLead.objects.exists()
    assert triggers.summary(alert) == "New listing 12 Oak St: dismissed"


def test_a_campaign_may_send_its_alerts_without_review(org_a, account_a, staff_a):
    make_buyer(org_a, "Ana Souza")
    make_listing_alerts(org_a, account_a, alert_send_automatically=True)
    list_property(org_a, user=staff_a)
    alert = ListingAlert.objects.get()
    assert alert.state == ListingAlert.State.SENT and alert.decided_by is None
    assert MessageLog.objects.filter(campaign=alert.blast, status="queued").count() == 1


def test_an_alert_that_cannot_be_sent_waits_and_says_why(org_a, account_a):
    make_buyer(org_a, "Ana Souza")
    make_listing_alerts(org_a, account_a, alert_send_automatically=True)
    account_a.needs_reconnect = True
    account_a.save()
    list_property(org_a)
    alert = ListingAlert.objects.get()
    assert alert.state == ListingAlert.State.PENDING
    assert alert.send_error == blasts.ACCOUNT_CANNOT_SEND.format(
        account=account_a, reason="it is disconnected"
    )
    assert not AlertedLead.objects.exists() and not MessageLog.objects.exists()
    assert alert.blast.status == Campaign.Status.DRAFT


def test_turning_alerts_on_needs_an_email_and_happens_once(org_a, account_a):
    campaign = Campaign.objects.create(
        organization=org_a, name="Alerts", type=Campaign.Type.LISTING_ALERT
    )
    with pytest.raises(triggers.AlertError, match="Add a step"):
        triggers.alerts_turn_on(campaign=campaign)
    alerts = make_listing_alerts(org_a, account_a)
    with pytest.raises(triggers.AlertError, match="This campaign is active"):
        triggers.alerts_turn_on(campaign=alerts)


def test_an_alert_s_email_left_without_its_alert_reaches_nobody(waiting):
    blast = waiting.blast
    waiting.property.delete()
    blast.refresh_from_db()
    assert not ListingAlert.objects.exists()
    with pytest.raises(blasts.LaunchError, match="Nobody to send to"):
        blasts.campaign_launch(campaign=blast)
