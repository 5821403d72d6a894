"""A listing alert's email is sent as its campaign says (issue 24 §5): each sending setting of
the listing alert campaign reaches the alert's blast and is honoured, one by one: the account,
sending from each lead's agent, open and click tracking, and the send window (an alert sent
while the window is shut waits until it opens)."""

import datetime
import zoneinfo
from email import message_from_bytes, policy

import pytest
import time_machine
from django.urls import reverse

from campaigns.launching import blasts
from campaigns.listing_alerts import triggers
from campaigns.models import Campaign, Dispatch, ListingAlert, MessageLog
from campaigns.outbox import claims
from tests.conftest import (
    connect_gmail,
    list_property,
    logged_in,
    make_buyer,
    make_listing_alerts,
)

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
SATURDAY_8PM_LA = datetime.datetime(2026, 12, 5, 20, 0, tzinfo=LA)
MONDAY_9AM_LA = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=LA)
TUESDAY_10AM_LA = datetime.datetime(2026, 12, 8, 10, 0, tzinfo=LA)


def sent_alert(org, account, user=None, **settings) -> ListingAlert:
    """A listing alert campaign with `settings`, a new listing that fits Ana, its alert sent."""
    make_listing_alerts(org, account, **settings)
    list_property(org)
    return triggers.alert_send(alert=ListingAlert.objects.get(), user=user)


def test_the_alert_is_sent_from_each_leads_agent(org_a, account_a, maria, google):
    agents_gmail = connect_gmail(google, maria, org_a, "maria@gmail.example")
    make_buyer(org_a, "Ana Souza", owner=maria)
    make_buyer(org_a, "Carl Berg")  # no agent: the campaign's account
    alert = sent_alert(org_a, account_a, send_from_agents=True)
    assert alert.blast.send_from_agents
    senders = dict(MessageLog.objects.values_list("lead__name", "email_account"))
    assert senders == {"Ana Souza": agents_gmail.pk, "Carl Berg": account_a.pk}


def test_without_it_every_alert_goes_from_the_campaigns_account(org_a, account_a, maria, google):
    connect_gmail(google, maria, org_a, "maria@gmail.example")
    make_buyer(org_a, "Ana Souza", owner=maria)
    alert = sent_alert(org_a, account_a, send_from_agents=False)
    assert alert.blast.email_account == account_a
    assert set(MessageLog.objects.values_list("email_account", flat=True)) == {account_a.pk}


@pytest.mark.parametrize("opens, clicks", [(False, False), (True, False), (False, True)])
def test_the_alert_tracks_what_its_campaign_tracks(org_a, account_a, opens, clicks):
    make_buyer(org_a, "Ana Souza")
    alert = sent_alert(org_a, account_a, track_opens=opens, track_clicks=clicks)
    assert (alert.blast.track_opens, alert.blast.track_clicks) == (opens, clicks)
    Campaign.objects.filter(pk=alert.blast_id).update(status=Campaign.Status.ACTIVE)
    claim = claims.claim_for_account(account_a)
    [message] = claim.messages
    html = (
        message_from_bytes(claim.raw[message.pk], policy=policy.default)
        .get_body(("html",))
        .get_content()
    )
    assert ("/t/o/" in html) == opens
    assert ("/t/c/" in html) == clicks


WEEKDAYS_9_TO_5 = {
    "window_start": datetime.time(9, 0),
    "window_end": datetime.time(17, 0),
    "send_on_weekends": False,
}


def test_an_alert_sent_while_the_window_is_shut_waits_for_it(org_a, account_a):
    with time_machine.travel(SATURDAY_8PM_LA, tick=False):
        make_buyer(org_a, "Ana Souza")
        alert = sent_alert(org_a, account_a, **WEEKDAYS_9_TO_5)
        dispatch = Dispatch.objects.get(campaign=alert.blast)
        assert (dispatch.status, dispatch.send_after) == (Dispatch.Status.SCHEDULED, MONDAY_9AM_LA)
        assert triggers.goes_out_at(alert) == MONDAY_9AM_LA
        assert claims.claim_for_account(account_a).messages == []
    with time_machine.travel(MONDAY_9AM_LA + datetime.timedelta(minutes=1), tick=False):
        assert blasts.start_scheduled() == 1
        [message] = claims.claim_for_account(account_a).messages
        assert message.to_email == "ana.souza@example.com"


def test_an_alert_sent_while_the_window_is_open_goes_at_once(org_a, account_a):
    with time_machine.travel(TUESDAY_10AM_LA, tick=False):
        make_buyer(org_a, "Ana Souza")
        alert = sent_alert(org_a, account_a, **WEEKDAYS_9_TO_5)
        dispatch = Dispatch.objects.get(campaign=alert.blast)
        assert (dispatch.status, dispatch.send_after) == (Dispatch.Status.RUNNING, None)
        assert triggers.goes_out_at(alert) is None


def test_an_alert_sent_automatically_waits_for_the_window_too(org_a, account_a):
    with time_machine.travel(SATURDAY_8PM_LA, tick=False):
        make_buyer(org_a, "Ana Souza")
        make_listing_alerts(org_a, account_a, alert_send_automatically=True, **WEEKDAYS_9_TO_5)
        list_property(org_a)
        alert = ListingAlert.objects.get()
        assert alert.state == ListingAlert.State.SENT
        assert triggers.goes_out_at(alert) == MONDAY_9AM_LA


def test_staff_are_told_when_the_window_opens(org_a, account_a, staff_a):
    with time_machine.travel(SATURDAY_8PM_LA, tick=False):
        make_buyer(org_a, "Ana Souza")
        make_listing_alerts(org_a, account_a, **WEEKDAYS_9_TO_5)
        list_property(org_a)
        alert = ListingAlert.objects.get()
        url = reverse("admin:campaigns_listingalert_send", args=[alert.pk])
        response = logged_in(staff_a).post(url, follow=True)
    notes = [str(message) for message in response.context["messages"]]
    assert any(
        "wait for the campaign's send window, which opens on December 7 at 9:00 AM" in n
        for n in notes
    )


def test_the_campaign_page_offers_the_send_window_for_listing_alerts(client_a, org_a, account_a):
    campaign = make_listing_alerts(org_a, account_a)
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    html = page.content.decode()
    assert 'name="window_start"' in html and 'name="send_on_weekends"' in html
    shown = 'x-show="type == &#x27;sequence&#x27; || type == &#x27;listing_alert&#x27;"'
    assert html.count(shown) == 3  # from, until, and weekends
