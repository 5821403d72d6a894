"""Each campaign shows how many clicks each of its links got, and from how many leads."""

import datetime
import re
from email import message_from_bytes, policy

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.events.tracking import click_window
from campaigns.launching import blasts
from campaigns.models import Campaign, LinkClick, MessageLog
from campaigns.outbox import sending
from campaigns.reporting import dashboard
from crm.models import Lead

Status = MessageLog.Status
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15"
SCANNER = "Mozilla/5.0 (compatible; Barracuda Sentinel)"
LISTING = "https://agency.example/listing?id=7&ref=mail"
VISIT = "https://agency.example/visit"


def launched_with_links(campaign, leads):
    """The campaign sent to `leads`, with two tracked links, as the sender leaves it."""
    Campaign.objects.filter(pk=campaign.pk).update(track_clicks=True)
    campaign.refresh_from_db()
    step = campaign.steps.get()
    step.body_template = (
        '<p>See <a href="https://agency.example/listing?id=7&amp;ref=mail">the listing</a> '
        'and <a href="https://agency.example/visit">book a visit</a>.</p>'
    )
    step.save()
    campaign.chosen_leads.set(leads)
    Campaign.objects.filter(pk=campaign.pk).update(audience=Campaign.Audience.CHOSEN)
    campaign.refresh_from_db()
    launched = blasts.campaign_launch(campaign=campaign)
    for message in MessageLog.objects.filter(dispatch=launched):
        sending.render_claimed(message, campaign.email_account)  # as the claim does
    MessageLog.objects.filter(dispatch=launched).update(
        status=Status.SENT, sent_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    return {m.lead_id: m for m in MessageLog.objects.filter(dispatch=launched)}


def tracked_links(message):
    """The click addresses in the message as sent, in the order of its links."""
    data = sending.build_for(message, message.email_account)
    html = message_from_bytes(data, policy=policy.default).get_body(("html",)).get_content()
    return re.findall(r'href="http://127\.0\.0\.1:8000(/t/c/[^"]+)"', html)


@pytest.fixture
def two_leads(org_a, lead_a):
    return [lead_a, Lead.objects.create(organization=org_a, name="Ben", email="ben@example.com")]


def test_each_link_counts_its_clicks_and_the_leads_who_clicked_it(client_a, campaign_a, two_leads):
    messages = launched_with_links(campaign_a, two_leads)
    ana, ben = (tracked_links(messages[lead.pk]) for lead in two_leads)
    visitor = Client()
    for url in (ana[0], ana[0], ana[1], ben[0]):  # Ana's second click, at once: counted once
        assert visitor.get(url, HTTP_USER_AGENT=BROWSER).status_code == 302
    with time_machine.travel(timezone.now() + click_window() + datetime.timedelta(seconds=1)):
        assert visitor.get(ana[0], HTTP_USER_AGENT=BROWSER).status_code == 302  # past the window
    visitor.get(ben[1], HTTP_USER_AGENT=SCANNER)  # a link scanner: no one clicked
    assert dashboard.clicks_per_link(campaign_a) == [
        {"url": LISTING, "clicks": 3, "leads": 2},
        {"url": VISIT, "clicks": 1, "leads": 1},
    ]
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    table = page.content.decode().split('id="link-clicks"')[1].split("</table>")[0]
    assert "https://agency.example/listing?id=7&amp;ref=mail" in table
    assert re.search(r">3</a></td>\s*<td[^>]*><a[^>]*>2</a></td>", table)


def test_the_clicks_per_link_are_one_query(campaign_a, two_leads, django_assert_num_queries):
    messages = launched_with_links(campaign_a, two_leads)
    Client().get(tracked_links(messages[two_leads[0].pk])[1], HTTP_USER_AGENT=BROWSER)
    with django_assert_num_queries(1):
        assert dashboard.clicks_per_link(campaign_a) == [{"url": VISIT, "clicks": 1, "leads": 1}]


def test_another_campaigns_clicks_are_not_counted(campaign_a, campaign_b, lead_a, lead_b):
    launched_with_links(campaign_a, [lead_a])
    theirs = launched_with_links(campaign_b, [lead_b])[lead_b.pk]
    Client().get(tracked_links(theirs)[0], HTTP_USER_AGENT=BROWSER)
    assert LinkClick.objects.count() == 1
    assert dashboard.clicks_per_link(campaign_a) == []


def test_a_campaign_without_click_tracking_says_clicks_are_not_counted(client_a, campaign_a):
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.COMPLETED)
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    assert "Click tracking is off for this campaign" in page.content.decode()
