"""A campaign sent from each lead's agent queues each message on the account that will send
it: the agent's connected Gmail, or the campaign's when the lead has no agent, the agent
has no connected account, or the account is not the lead's agency's. Launches (one chunk or
many) and the sequence tick alike; a follow-up goes from the mailbox of its thread."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.accounts import oauth
from campaigns.launching import blasts, queuing
from campaigns.models import LOCKED_CAMPAIGN, Campaign, EmailAccount, MessageLog
from campaigns.sequences import schedule
from crm.members import membership_create
from crm.models import Lead
from tests.conftest import MONDAY_10AM_LA, connect_gmail, make_agent, make_sequence


@pytest.fixture
def agents(campaign_a, maria, tom, org_a, google):
    """Maria has a connected Gmail; Tom has none; the campaign sends from each agent."""
    Campaign.objects.filter(pk=campaign_a.pk).update(send_from_agents=True)
    campaign_a.refresh_from_db()
    return connect_gmail(google, maria, org_a, "maria@gmail.example")


def lead(org, name, owner=None):
    return Lead.objects.create(
        organization=org, name=name, email=f"{name.lower()}@example.com", owner=owner
    )


def senders_of(campaign) -> dict[str, str]:
    """{lead's name: the address of the account their message is queued on}."""
    return dict(
        MessageLog.objects.filter(campaign=campaign).values_list(
            "lead__name", "email_account__email_address"
        )
    )


def test_each_lead_is_queued_on_their_agents_account_or_the_campaigns(
    campaign_a, agents, org_a, maria, tom
):
    lead(org_a, "Ana", maria)
    lead(org_a, "Ben", tom)
    lead(org_a, "Cid")
    blasts.campaign_launch(campaign=campaign_a)
    assert senders_of(campaign_a) == {
        "Ana": "maria@gmail.example",
        "Ben": "alice@sunset.example",
        "Cid": "alice@sunset.example",
    }


def test_a_campaign_sent_from_its_own_account_ignores_the_agents(campaign_a, agents, org_a, maria):
    Campaign.objects.filter(pk=campaign_a.pk).update(send_from_agents=False)
    campaign_a.refresh_from_db()
    lead(org_a, "Ana", maria)
    blasts.campaign_launch(campaign=campaign_a)
    assert senders_of(campaign_a) == {"Ana": "alice@sunset.example"}


def test_an_agents_account_in_another_agency_never_sends_to_this_agencys_leads(
    campaign_a, agents, org_a, org_b, google
):
    both = make_agent("paul", org_b, "Paul", "Durand")
    membership_create(user=both, organization=org_a)
    connect_gmail(google, both, org_b, "paul@harbor.example")
    lead(org_a, "Ana", both)
    blasts.campaign_launch(campaign=campaign_a)
    assert senders_of(campaign_a) == {"Ana": "alice@sunset.example"}


def test_a_former_member_is_no_longer_an_agent_who_sends(campaign_a, agents, org_a, maria):
    lead(org_a, "Ana", maria)
    maria.memberships.all().delete()
    blasts.campaign_launch(campaign=campaign_a)
    assert senders_of(campaign_a) == {"Ana": "alice@sunset.example"}


def test_a_disconnected_agent_account_leaves_their_leads_to_the_campaigns(
    campaign_a, agents, org_a, maria
):
    lead(org_a, "Ana", maria)
    oauth.disconnect(agents)
    blasts.campaign_launch(campaign=campaign_a)
    assert senders_of(campaign_a) == {"Ana": "alice@sunset.example"}


def test_an_agent_account_that_needs_reconnecting_keeps_their_leads_waiting_for_it(
    campaign_a, agents, org_a, maria
):
    lead(org_a, "Ana", maria)
    EmailAccount.objects.filter(pk=agents.pk).update(needs_reconnect=True)
    blasts.campaign_launch(campaign=campaign_a)
    assert senders_of(campaign_a) == {"Ana": "maria@gmail.example"}


def test_an_agents_primary_account_is_theirs_before_an_older_one(
    campaign_a, agents, org_a, maria, google
):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=None)
    campaign_a.refresh_from_db()
    EmailAccount.objects.filter(organization=org_a).update(is_primary=False)
    newer = connect_gmail(google, maria, org_a, "maria.lopez@gmail.example", is_primary=True)
    lead(org_a, "Ana", maria)
    blasts.campaign_launch(campaign=campaign_a)
    assert senders_of(campaign_a) == {"Ana": newer.email_address}


def test_an_audience_queued_in_chunks_gets_the_same_senders(
    campaign_a, agents, org_a, maria, settings
):
    settings.CAMPAIGN_QUEUE_CHUNK = 3
    for n in range(10):
        lead(org_a, f"Lead{n}", maria if n % 2 else None)
    launched = blasts.campaign_launch(campaign=campaign_a)
    assert launched.queuing  # larger than a chunk: left to the background...
    queuing.queue_rest(launched.pk)  # ...which the test runs here
    senders = senders_of(campaign_a)
    assert len(senders) == 10
    assert all(
        address == ("maria@gmail.example" if int(name[4:]) % 2 else "alice@sunset.example")
        for name, address in senders.items()
    )


def test_sending_from_each_agent_is_locked_once_launched(campaign_a, agents, org_a):
    lead(org_a, "Ana")
    blasts.campaign_launch(campaign=campaign_a)
    campaign_a.send_from_agents = False
    with pytest.raises(ValidationError) as refused:
        campaign_a.full_clean()
    assert refused.value.messages == [str(LOCKED_CAMPAIGN)]


def test_the_sequence_tick_queues_each_step_on_the_leads_agents_account(
    org_a, account_a, agents, maria
):
    sequence = make_sequence(org_a, account_a)
    Campaign.objects.filter(pk=sequence.pk).update(send_from_agents=True)
    sequence.refresh_from_db()
    lead(org_a, "Ana", maria)
    lead(org_a, "Cid")
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        schedule.sequence_activate(campaign=sequence)
        schedule.tick()
    assert senders_of(sequence) == {"Ana": "maria@gmail.example", "Cid": "alice@sunset.example"}


def test_a_follow_up_goes_from_the_mailbox_of_its_thread_though_the_agent_changed(
    org_a, account_a, agents, maria, tom, google
):
    sequence = make_sequence(org_a, account_a)
    Campaign.objects.filter(pk=sequence.pk).update(send_from_agents=True)
    sequence.refresh_from_db()
    ana = lead(org_a, "Ana", maria)
    connect_gmail(google, tom, org_a, "tom@gmail.example")
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        schedule.sequence_activate(campaign=sequence)
        schedule.tick()
        MessageLog.objects.update(
            status=MessageLog.Status.SENT, thread_id="t-1", sent_at=timezone.now()
        )
    Lead.objects.filter(pk=ana.pk).update(owner=tom)
    with time_machine.travel(MONDAY_10AM_LA + datetime.timedelta(days=3), tick=False):
        schedule.tick()
    follow_up = MessageLog.objects.get(campaign_step__order=2)
    assert (follow_up.email_account, follow_up.thread_id) == (agents, "t-1")
    # Once that mailbox is disconnected, the next step starts a thread of its own from Tom's.
    oauth.disconnect(agents)
    MessageLog.objects.update(status=MessageLog.Status.SENT, sent_at=timezone.now())
    with time_machine.travel(MONDAY_10AM_LA + datetime.timedelta(days=7, hours=2), tick=False):
        schedule.tick()
    offer = MessageLog.objects.get(campaign_step__order=3)
    assert (offer.email_account.email_address, offer.thread_id) == ("tom@gmail.example", "")
