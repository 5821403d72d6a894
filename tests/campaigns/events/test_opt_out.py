"""Opt-out promises: old links keep working, bounces suppress, re-import never resubscribes."""

import datetime

import time_machine
from django.test import Client
from django.utils import timezone

from campaigns.events import bounces, unsubscribes
from campaigns.launching import blasts
from campaigns.models import MessageLog
from campaigns.outbox import unsubscribe_links
from crm.importing.lead_import import leads_import
from crm.models import Lead, SuppressedAddress


def test_a_31_day_old_link_of_a_deleted_campaign_still_unsubscribes(campaign_a, lead_a):
    url = unsubscribe_links.url_for(lead_a).replace("http://127.0.0.1:8000", "")
    campaign_a.delete()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31)):
        assert Client().post(url).status_code == 200
    lead_a.refresh_from_db()
    assert lead_a.unsubscribed_at is not None
    assert SuppressedAddress.objects.filter(email="ana@example.com", reason="unsubscribed").exists()


def test_a_hard_bounce_suppresses_the_address_for_the_next_campaign(campaign_a, lead_a, org_a):
    launched = blasts.campaign_launch(campaign=campaign_a)
    message = MessageLog.objects.get(dispatch=launched)
    assert bounces.record_bounce(message, "550 5.1.1 The email account does not exist")
    message.refresh_from_db()
    assert message.status == MessageLog.Status.BOUNCED and message.bounced_at
    entry = SuppressedAddress.objects.get(organization=org_a)
    assert (entry.email, entry.reason) == ("ana@example.com", "bounced")
    # Re-importing the lead, even deleted and created again, does not resubscribe it.
    lead_a.delete()
    leads_import(organization=org_a, data=b"name,email\nAna Souza,ANA@example.com\n")
    from campaigns.audiences.audience import audience_of, sizes
    from campaigns.models import Campaign

    again = Campaign.objects.create(
        organization=org_a, name="Again", email_account=campaign_a.email_account
    )
    again.steps.create(subject="Hi", body_template="<p>Hi</p>")
    assert sizes(audience_of(again), again) == (1, 1)
    assert blasts.campaign_launch(campaign=again).skipped == 1
    assert Lead.objects.get().unsubscribed_at is None  # the lead row itself was not touched


def test_the_same_suppression_does_not_touch_another_organization(lead_a, org_b):
    Lead.objects.create(organization=org_b, name="Ana elsewhere", email="ana@example.com")
    unsubscribes.unsubscribe(lead_a)
    assert not SuppressedAddress.objects.filter(organization=org_b).exists()
