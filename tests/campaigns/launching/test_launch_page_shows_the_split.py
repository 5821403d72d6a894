"""The launch page of a campaign sent from each lead's agent shows how it spreads over the
accounts ("Maria Lopez: 4 leads, 2 days; primary account: 1 lead, today"), each account's
days from what is left of its daily cap, and warns about agents whose account needs
reconnecting and agents who have none."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.html import escape

from campaigns.models import Campaign, EmailAccount, MessageLog
from campaigns.outbox import senders
from crm.models import Lead
from tests.conftest import connect_gmail


@pytest.fixture
def campaign(campaign_a, org_a, maria, google):
    """Sent from each agent; the sending account is the agency's primary one."""
    EmailAccount.objects.filter(pk=campaign_a.email_account_id).update(is_primary=True)
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=None, send_from_agents=True)
    campaign_a.refresh_from_db()
    connect_gmail(google, maria, org_a, "maria@gmail.example", daily_limit=3)
    return campaign_a


def leads(org, owner, count, prefix):
    for n in range(count):
        Lead.objects.create(
            organization=org, name=f"{prefix}{n}", email=f"{prefix}{n}@example.com", owner=owner
        )


def page(client, campaign) -> str:
    response = client.get(reverse("admin:campaigns_campaign_launch", args=[campaign.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_launch_page_shows_each_accounts_share_and_days(client_a, campaign, org_a, maria):
    leads(org_a, maria, 4, "m")
    leads(org_a, None, 1, "x")
    # Maria's cap is 3 a day and one went out in the last 24 hours: 2 today, then 2 more.
    MessageLog.objects.create(
        organization=org_a,
        campaign=campaign,
        lead=Lead.objects.get(name="m0"),
        email_account=EmailAccount.objects.get(email_address="maria@gmail.example"),
        status=MessageLog.Status.SENT,
        sent_at=campaign.created_at,
    )
    html = page(client_a, campaign)
    assert (
        '<span id="launch-split">Maria Lopez: 4 leads, 2 days; primary account: 1 lead, today'
        "</span>" in html
    )
    assert 'id="plan-finish"' not in html  # each account's days say it


def test_an_agent_whose_account_needs_reconnecting_is_warned_about(
    client_a, campaign, org_a, maria
):
    leads(org_a, maria, 2, "m")
    EmailAccount.objects.filter(email_address="maria@gmail.example").update(needs_reconnect=True)
    html = page(client_a, campaign)
    assert "Maria Lopez: 2 leads, waits until it is reconnected" in html
    warning = senders.NEEDS_RECONNECT.format(
        agent="Maria Lopez", address="maria@gmail.example", count="2 messages"
    )
    assert escape(warning) in html


def test_agents_without_a_connected_gmail_are_named_with_where_their_leads_go(
    client_a, campaign, org_a, tom
):
    leads(org_a, tom, 3, "t")
    html = page(client_a, campaign)
    assert "primary account: 3 leads, today" in html
    assert escape("Tom Baker has no connected Gmail: their 3 leads get it from the primary") in html


def test_the_agent_whose_account_is_the_campaigns_own_is_named_once(
    client_a, campaign_a, org_a, staff_a
):
    Campaign.objects.filter(pk=campaign_a.pk).update(send_from_agents=True)
    campaign_a.refresh_from_db()
    User.objects.filter(pk=staff_a.pk).update(first_name="Alice", last_name="Adams")
    leads(org_a, staff_a, 2, "a")
    leads(org_a, None, 1, "x")
    html = page(client_a, campaign_a)
    # Named the agent's for Alice's own leads only: the third lead has no agent.
    assert (
        "Alice Adams, also the campaign&#x27;s account: 3 leads (2 of Alice Adams&#x27;s, 1 "
        "without an agent&#x27;s Gmail), today"
    ) in html


def test_leads_without_an_agent_are_never_called_the_agents(client_a, campaign_a, org_a, staff_a):
    Campaign.objects.filter(pk=campaign_a.pk).update(send_from_agents=True)
    campaign_a.refresh_from_db()
    User.objects.filter(pk=staff_a.pk).update(first_name="Alice", last_name="Adams")
    leads(org_a, None, 4, "x")
    html = page(client_a, campaign_a)
    assert "campaign&#x27;s account: 4 leads, today" in html
    assert "Alice Adams" not in html.split('id="launch-split"')[1].split("</span>")[0]
    leads(org_a, staff_a, 2, "a")
    Lead.objects.filter(owner=None).delete()
    html = page(client_a, campaign_a)
    assert "Alice Adams (also the campaign&#x27;s account): 2 leads, today" in html


def test_a_campaign_sent_from_its_own_account_shows_no_split(client_a, campaign_a, org_a, maria):
    leads(org_a, maria, 2, "m")
    html = page(client_a, campaign_a)
    assert 'id="launch-senders"' not in html and 'id="plan-finish"' in html
