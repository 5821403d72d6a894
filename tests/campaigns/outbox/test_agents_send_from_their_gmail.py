"""Sent from each lead's agent, through the Gmail stand-in (each account's tokens open its own
mailbox): every message goes through the account it was queued on, with that account's From
header and `sender` in the template, and a follow-up replies in the agent's own thread."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from campaigns.launching import blasts
from campaigns.models import Campaign, CampaignStep, MessageLog
from campaigns.sequences import schedule
from crm.models import Lead
from tests.conftest import MONDAY_10AM_LA, connect_gmail, make_sequence


@pytest.fixture
def mailboxes(org_a, staff_a, maria, google):
    """The agency's primary Gmail (Alice's) and Maria's, each its own mailbox."""
    primary = connect_gmail(google, staff_a, org_a, "alice@gmail.example", is_primary=True)
    return primary, connect_gmail(google, maria, org_a, "maria@gmail.example")


@pytest.fixture
def leads(org_a, maria):
    ana = Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com", owner=maria)
    cid = Lead.objects.create(organization=org_a, name="Cid", email="cid@example.com")
    return ana, cid


def send_all():
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())


def sent_through(google) -> dict[str, str]:
    """{recipient: the mailbox whose token sent it}, as the stand-in saw it."""
    return {
        message["To"].addresses[0].addr_spec: mailbox
        for message, mailbox in zip(google.sent, google.sent_from, strict=True)
    }


def test_each_message_goes_through_its_agents_gmail_with_their_from_and_name(
    org_a, mailboxes, leads, google
):
    primary, marias = mailboxes
    campaign = Campaign.objects.create(organization=org_a, name="Open house", send_from_agents=True)
    CampaignStep.objects.create(
        campaign=campaign, order=1, subject="Hello", body_template="<p>{{ sender.name }}</p>"
    )
    blasts.campaign_launch(campaign=campaign)
    send_all()
    assert sent_through(google) == {
        "ana@example.com": "maria@gmail.example",
        "cid@example.com": "alice@gmail.example",
    }
    by_recipient = {message["To"].addresses[0].addr_spec: message for message in google.sent}
    assert str(by_recipient["ana@example.com"]["From"]) == "Maria Lopez <maria@gmail.example>"
    assert "<p>Maria Lopez</p>" in by_recipient["ana@example.com"].get_body("html").get_content()
    ana_log = MessageLog.objects.get(lead__email="ana@example.com")
    assert (ana_log.status, ana_log.email_account) == (MessageLog.Status.SENT, marias)
    assert ana_log.message_id.endswith("@gmail.example>")
    cid_log = MessageLog.objects.get(lead__email="cid@example.com")
    assert cid_log.email_account == primary


def test_a_follow_up_replies_in_the_agents_own_thread(org_a, mailboxes, leads, google):
    primary, marias = mailboxes
    sequence = make_sequence(org_a, primary)
    Campaign.objects.filter(pk=sequence.pk).update(send_from_agents=True)
    sequence.refresh_from_db()
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        schedule.sequence_activate(campaign=sequence)
        schedule.tick()
        send_all()
    with time_machine.travel(MONDAY_10AM_LA + datetime.timedelta(days=3, hours=1), tick=False):
        schedule.tick()
        send_all()
    welcome, follow_up = MessageLog.objects.filter(lead=leads[0]).order_by("campaign_step__order")
    assert follow_up.status == MessageLog.Status.SENT, follow_up.error_message
    assert follow_up.email_account == welcome.email_account == marias
    assert follow_up.thread_id == welcome.thread_id
    assert google.thread_mailbox[follow_up.thread_id] == "maria@gmail.example"
    assert sorted(google.sent_from) == ["alice@gmail.example"] * 2 + ["maria@gmail.example"] * 2
