"""Gmail's bulk-sender line: each From domain's messages to Gmail and Yahoo addresses over a
rolling 24 hours, across the agency's accounts and campaigns and both drivers; shown on
the send plan and the launch page, which warns before a launch would cross it without
SPF, DKIM and DMARC in place. The threshold is lowered, never 5,000 rows inserted."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, CampaignStep, Dispatch, DomainCheck, EmailAccount, MessageLog
from campaigns.reporting import bulk_senders
from crm.models import Lead
from tests.campaigns.conftest import LOG_URL, claim_url, report
from tests.campaigns.conftest import signed_call as call

Status = MessageLog.Status
ALL_GOOD = [{"key": k, "ok": True, "text": k, "fix": ""} for k in ("spf", "dkim", "dmarc")]


def account(org, user, address) -> EmailAccount:
    return EmailAccount.objects.create(
        organization=org, user=user, email_address=address, display_name=address, refresh_token="r"
    )


def sent(campaign, sender, to, hours_ago=1, **fields):
    lead = Lead.objects.create(organization=campaign.organization, name=to, email=to)
    return MessageLog.objects.create(
        organization=campaign.organization,
        campaign=campaign,
        lead=lead,
        email_account=sender,
        to_email=to,
        status=Status.SENT,
        sent_at=timezone.now() - datetime.timedelta(hours=hours_ago),
        **fields,
    )


def test_the_count_is_per_primary_domain_across_the_agencys_accounts(
    org_a, staff_a, campaign_a, org_b, staff_b, campaign_b
):
    maria = account(org_a, staff_a, "maria@bars-homes.com")
    tom = account(org_a, staff_a, "tom@mail.bars-homes.com")
    sent(campaign_a, maria, "a@gmail.com")
    sent(campaign_a, tom, "b@googlemail.com")
    sent(campaign_a, tom, "c@yahoo.fr")
    sent(campaign_a, maria, "d@ymail.com")
    sent(campaign_a, maria, "e@outlook.com")  # not a Gmail or Yahoo address
    sent(campaign_a, maria, "f@gmail.com", hours_ago=25)  # out of the window
    sent(campaign_a, maria, "g@gmail.com", is_test=True)  # a test to staff
    elsewhere = account(org_b, staff_b, "x@bars-homes.com")
    sent(campaign_b, elsewhere, "h@gmail.com")  # another agency's
    volume = bulk_senders.domain_volume(tom)
    assert (volume.domain, volume.last_day) == ("bars-homes.com", 4)
    assert volume.unchecked == ("bars-homes.com", "mail.bars-homes.com")


def test_a_personal_gmail_account_has_no_domain_of_its_own(org_a, staff_a):
    assert bulk_senders.domain_volume(account(org_a, staff_a, "m@gmail.com")) is None


def test_messages_sent_by_both_drivers_are_counted(
    campaign_a, gmail_account, google, n8n_secret, settings
):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    for n in range(2):
        Lead.objects.create(
            organization=campaign_a.organization, name=f"G{n}", email=f"g{n}@gmail.com"
        )
    blasts.campaign_launch(campaign=campaign_a)
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())  # the direct driver
    second = Campaign.objects.create(
        organization=campaign_a.organization, name="Second", email_account=gmail_account
    )
    CampaignStep.objects.create(campaign=second, subject="Hi", body_template="<p>Hi</p>")
    for n in range(2):
        Lead.objects.create(organization=second.organization, name=f"Y{n}", email=f"y{n}@yahoo.com")
    second.chosen_leads.set(Lead.objects.filter(email__endswith="@yahoo.com"))
    Campaign.objects.filter(pk=second.pk).update(audience=Campaign.Audience.CHOSEN)
    second.refresh_from_db()
    launched = blasts.campaign_launch(campaign=second)
    Dispatch.objects.filter(pk=launched.pk).update(driver=Dispatch.Driver.N8N)
    claimed = call(claim_url(launched), {"limit": 10}).json()["messages"]
    assert len(claimed) == 2
    now = timezone.now().isoformat()
    reports = [report(m, sent_at=now) for m in claimed]
    assert call(LOG_URL, {"messages": reports}).status_code == 200
    assert MessageLog.objects.filter(status=Status.SENT).count() == 4
    assert bulk_senders.domain_volume(gmail_account).last_day == 4


@pytest.fixture
def bars_campaign(org_a, staff_a, settings):
    settings.BULK_SENDER_THRESHOLD = 5
    maria = account(org_a, staff_a, "maria@bars-homes.com")
    campaign = Campaign.objects.create(organization=org_a, name="Open house", email_account=maria)
    CampaignStep.objects.create(campaign=campaign, subject="Hi", body_template="<p>Hi</p>")
    return campaign


def launch_page(client, campaign) -> str:
    return client.get(
        reverse("admin:campaigns_campaign_launch", args=[campaign.pk])
    ).content.decode()


def test_the_launch_page_warns_before_crossing_the_line_unauthenticated(
    bars_campaign, client_a, org_a
):
    maria = bars_campaign.email_account
    for n in range(3):
        sent(bars_campaign, maria, f"old{n}@gmail.com")
    Lead.objects.filter(email__startswith="old").update(unsubscribed_at=timezone.now())
    for n in range(3):
        Lead.objects.create(organization=org_a, name=f"L{n}", email=f"l{n}@yahoo.com")
    Lead.objects.create(organization=org_a, name="O", email="o@outlook.com")
    DomainCheck.objects.create(
        organization=org_a,
        domain="bars-homes.com",
        checked_at=timezone.now(),
        findings=[
            *ALL_GOOD[:2],
            {
                "key": "dmarc",
                "ok": False,
                "text": "bars-homes.com has no DMARC record.",
                "fix": "Add",
            },
        ],
    )
    page = launch_page(client_a, bars_campaign)
    assert "<strong>3</strong> messages from bars-homes.com" in page
    assert "<strong>6</strong> with this launch" in page
    assert 'id="bulk-warning"' in page
    assert "past the 5 at which Gmail treats it as a bulk sender for good" in page
    assert "bars-homes.com has no DMARC record" in page
    DomainCheck.objects.update(findings=ALL_GOOD)
    assert 'id="bulk-warning"' not in launch_page(client_a, bars_campaign)


def test_no_warning_while_the_launch_stays_under_the_line(bars_campaign, client_a, org_a):
    Lead.objects.create(organization=org_a, name="L", email="l@gmail.com")
    page = launch_page(client_a, bars_campaign)
    assert 'data-bulk="bars-homes.com"' in page and 'id="bulk-warning"' not in page
    assert "have not been checked yet" in page


def test_what_a_launch_adds_today_is_bounded_by_the_accounts_cap(bars_campaign, org_a):
    maria = bars_campaign.email_account
    EmailAccount.objects.filter(pk=maria.pk).update(daily_limit=4)
    maria.refresh_from_db()
    for n in range(10):
        Lead.objects.create(organization=org_a, name=f"L{n}", email=f"l{n}@gmail.com")
    volumes = bulk_senders.launch_volumes(bars_campaign, Lead.objects.all(), maria)
    assert [(v.domain, v.adding) for v in volumes] == [("bars-homes.com", 4)]


def test_the_send_plan_shows_the_domains_count(bars_campaign, client_a):
    maria = bars_campaign.email_account
    sent(bars_campaign, maria, "a@gmail.com")
    page = client_a.get(reverse("admin:campaigns_emailaccount_plan", args=[maria.pk]))
    html = page.content.decode()
    assert 'id="plan-bulk-count">1</strong>' in html
    assert "Not ready to cross it: its SPF, DKIM and DMARC have not been checked" in html
