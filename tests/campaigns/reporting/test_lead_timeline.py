"""A lead's page is a timeline: one list, newest first, of what was sent to them and what
came of it, each with its campaign; not a table of messages."""

import datetime

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignStep, LinkClick, MessageLog
from campaigns.reporting.timeline import lead_timeline
from crm.models import Lead

Status = MessageLog.Status
START = datetime.datetime(2026, 3, 2, 17, 0, tzinfo=datetime.UTC)


def at(hours):
    return START + datetime.timedelta(hours=hours)


def message(campaign, lead, order=1, **fields):
    step = campaign.steps.get(order=order)
    return MessageLog.objects.create(
        organization=campaign.organization,
        campaign=campaign,
        campaign_step=step,
        lead=lead,
        to_email=lead.email,
        subject=f"{campaign.name}, step {order}",
        **fields,
    )


def test_the_timeline_lists_every_event_newest_first_with_its_campaign(
    campaign_a, lead_a, org_a, account_a
):
    CampaignStep.objects.create(
        campaign=campaign_a, order=2, subject="Again", body_template="<p>2</p>"
    )
    other = Campaign.objects.create(organization=org_a, name="Price drop", email_account=account_a)
    CampaignStep.objects.create(campaign=other, order=1, subject="Down", body_template="<p>.</p>")
    first = message(
        campaign_a, lead_a, status=Status.CLICKED, sent_at=at(0), opened_at=at(2), clicked_at=at(3)
    )
    LinkClick.objects.create(
        message=first, campaign=campaign_a, url="https://agency.example/visit", clicked_at=at(3)
    )
    message(campaign_a, lead_a, order=2, status=Status.REPLIED, sent_at=at(24), replied_at=at(30))
    message(other, lead_a, status=Status.UNSUBSCRIBED, sent_at=at(48), unsubscribed_at=at(49))
    events = [(e.kind, e.at, e.campaign.name, e.step) for e in lead_timeline(lead_a)]
    assert events == [
        ("unsubscribed", at(49), "Price drop", "Step 1"),
        ("sent", at(48), "Price drop", "Step 1"),
        ("replied", at(30), "Spring A", "Step 2"),
        ("sent", at(24), "Spring A", "Step 2"),
        ("clicked", at(3), "Spring A", "Step 1"),
        ("opened", at(2), "Spring A", "Step 1"),
        ("sent", at(0), "Spring A", "Step 1"),
    ]
    clicked = lead_timeline(lead_a)[4]
    assert clicked.detail == "https://agency.example/visit"
    assert clicked.link == reverse("admin:campaigns_messagelog_change", args=[first.pk])


def test_failures_bounces_and_messages_not_sent_say_why(campaign_a, lead_a):
    CampaignStep.objects.create(
        campaign=campaign_a, order=2, subject="Again", body_template="<p>2</p>"
    )
    bounce = "550 5.1.1 The email account that you tried to reach does not exist."
    message(
        campaign_a,
        lead_a,
        status=Status.BOUNCED,
        sent_at=at(0),
        bounced_at=at(1),
        error_message=bounce,
    )
    message(campaign_a, lead_a, order=2, status=Status.CANCELLED, error_message="replied")
    kinds = {event.kind: event.detail for event in lead_timeline(lead_a)}
    assert kinds["bounced"] == "The address does not exist (the receiving mail server bounced it)"
    assert kinds["not_sent"] == "replied" and "sent" in kinds


def test_a_message_waiting_to_be_sent_is_on_the_timeline(campaign_a, lead_a):
    waiting = message(campaign_a, lead_a, status=Status.QUEUED)
    [event] = lead_timeline(lead_a)
    assert (event.kind, event.title, event.at) == ("waiting", "Waiting to send", waiting.created_at)


def test_test_sends_and_other_leads_are_not_on_the_timeline(campaign_a, lead_a, org_a):
    other = Lead.objects.create(organization=org_a, name="Ben", email="ben@example.com")
    message(campaign_a, other, status=Status.SENT, sent_at=at(0))
    MessageLog.objects.create(
        organization=org_a,
        campaign=campaign_a,
        lead=lead_a,
        is_test=True,
        status=Status.SENT,
        sent_at=at(1),
    )
    assert lead_timeline(lead_a) == []


def test_an_opt_out_no_message_accounts_for_is_on_the_timeline(lead_a):
    Lead.objects.filter(pk=lead_a.pk).update(unsubscribed_at=at(5))
    lead_a.refresh_from_db()
    assert [(e.kind, e.at, e.campaign) for e in lead_timeline(lead_a)] == [
        ("unsubscribed", at(5), None)
    ]


def test_the_lead_page_shows_the_timeline_instead_of_a_message_table(client_a, campaign_a, lead_a):
    message(
        campaign_a, lead_a, status=Status.OPENED, sent_at=timezone.now(), opened_at=timezone.now()
    )
    page = client_a.get(reverse("admin:crm_lead_change", args=[lead_a.pk])).content.decode()
    timeline = page.split('id="lead-timeline"')[1]
    assert timeline.count('data-kind="') == 2
    assert "Spring A, step 1" in timeline and "Spring A · Step 1" in timeline
    assert "timeline (every message)" not in page.lower() and "message_logs-TOTAL_FORMS" not in page
    assert "Next order" not in page
