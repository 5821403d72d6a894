"""The page behind the unsubscribe link lets the lead leave all email from the agency, or
only the campaign the link came in, or only its kind (listing alerts, newsletters); in
the agency's language. The mail app's one click leaves everything."""

import re
from email import message_from_bytes, policy

from django.test import Client
from django.urls import reverse

from campaigns.launching import blasts
from campaigns.models import Campaign, CampaignStep, MessageLog, OptOut
from campaigns.outbox import sending, unsubscribe_links
from crm.models import Lead, SuppressedAddress


def link(lead, campaign=None, test=False) -> str:
    return unsubscribe_links.url_for(lead, campaign=campaign, test=test).removeprefix(
        "http://127.0.0.1:8000"
    )


def second_blast(organization, account, name="Open house") -> Campaign:
    campaign = Campaign.objects.create(organization=organization, name=name, email_account=account)
    CampaignStep.objects.create(campaign=campaign, subject=name, body_template="<p>x</p>")
    return campaign


def test_the_link_in_a_message_names_its_campaign(campaign_a, lead_a, account_a):
    blasts.campaign_launch(campaign=campaign_a)
    message = MessageLog.objects.get()
    raw = message_from_bytes(sending.build_for(message, account_a), policy=policy.default)
    assert f"?c={campaign_a.pk.hex}>" in raw["List-Unsubscribe"]
    rendered = sending.render_for(campaign_a.steps.get(), lead_a, account_a)
    assert link(lead_a, campaign_a) in rendered.html


def test_a_get_offers_everything_this_campaign_or_its_kind_and_changes_nothing(campaign_a, lead_a):
    page = Client().get(link(lead_a, campaign_a)).content.decode()
    choices = re.findall(r'name="scope" value="(\w+)"', page)
    assert choices == ["all", "campaign", "kind"]
    assert "Only “Spring A”" in page and "Only newsletters and announcements" in page
    assert not OptOut.objects.exists()
    assert Lead.objects.get().unsubscribed_at is None


def test_leaving_only_this_campaign_keeps_the_others(campaign_a, lead_a, org_a, account_a):
    response = Client().post(link(lead_a, campaign_a), {"scope": "campaign"})
    assert "Spring A" in response.content.decode() and "any more" in response.content.decode()
    assert OptOut.objects.get().campaign == campaign_a
    assert Lead.objects.get().unsubscribed_at is None
    skipped = blasts.campaign_launch(campaign=campaign_a)
    assert skipped.skipped == 1
    assert MessageLog.objects.get().error_message.startswith("The lead left this campaign")
    other = blasts.campaign_launch(campaign=second_blast(org_a, account_a))
    assert (other.total, other.skipped) == (1, 0)


def test_leaving_a_kind_stops_every_campaign_of_that_kind(campaign_a, lead_a, org_a, account_a):
    Client().post(link(lead_a, campaign_a), {"scope": "kind"})
    assert OptOut.objects.get().kind == Campaign.Type.BLAST
    assert blasts.campaign_launch(campaign=second_blast(org_a, account_a)).skipped == 1


def test_the_mail_apps_one_click_leaves_everything(campaign_a, lead_a):
    response = Client(enforce_csrf_checks=True).post(
        link(lead_a, campaign_a),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Lead.objects.get().unsubscribed_at is not None
    assert SuppressedAddress.objects.get().detail.startswith("one click in their mail app")


def test_a_campaign_of_another_agency_is_not_offered(campaign_b, lead_a):
    page = Client().get(link(lead_a, campaign_b)).content.decode()
    assert "Spring B" not in page
    assert re.findall(r'name="scope" value="(\w+)"', page) == []
    Client().post(link(lead_a, campaign_b), {"scope": "campaign"})
    assert Lead.objects.get(pk=lead_a.pk).unsubscribed_at is not None  # the default: all
    assert not OptOut.objects.exists()


def test_a_test_messages_link_changes_nothing(campaign_a, lead_a):
    response = Client().post(link(lead_a, campaign_a, test=True), {"scope": "kind"})
    assert 'id="test-notice"' in response.content.decode()
    assert not OptOut.objects.exists() and Lead.objects.get().unsubscribed_at is None


def test_the_page_is_in_the_agencys_language(campaign_a, lead_a, org_a):
    org_a.language = "fr"
    org_a.save()
    page = Client().get(link(lead_a, campaign_a)).content.decode()
    # Every word goes through gettext under the agency's language: a catalogue (issue 27)
    # is all a translation needs.
    assert '<html lang="fr">' in page


def test_an_unknown_token_is_404(lead_a):
    assert Client().get(reverse("unsubscribe", args=["nope"])).status_code == 404
