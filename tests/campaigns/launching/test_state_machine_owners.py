"""A Hypothesis state machine over a blast sent from each lead's agent: agents given and
taken away, an agent's Gmail disconnected, reconnected or in need of reconnecting, the launch,
sending and opt-outs in any order; with the invariants: each message is queued on the account
its lead's agent had at the launch (else the campaign's), every message leaves from the
mailbox of the account it was queued on (the stand-in checks the token against the From
header) and never from an account that needs reconnecting, at most one send per lead, and
nothing to a lead after they opted out."""

import uuid
from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from campaigns.accounts import oauth
from campaigns.events import unsubscribes
from campaigns.launching import blasts
from campaigns.models import Campaign, EmailAccount, MessageLog
from campaigns.outbox import claims
from crm.models import Lead
from tests.conftest import connect_gmail
from tests.google_standin import StandIn

LEADS = 6
AGENTS = ["maria", "tom", None]


class Owners(RuleBasedStateMachine):
    # Set by the test: the stand-in, and the campaign's id.
    google: StandIn
    campaign_id: uuid.UUID

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.sent_before = len(self.google.sent)
        self.campaign = Campaign.objects.select_related("email_account").get(pk=self.campaign_id)
        self.fallback = self.campaign.email_account
        self.accounts = {
            account.user.username: account
            for account in EmailAccount.objects.filter(
                organization=self.campaign.organization_id
            ).exclude(pk=self.fallback.pk)
        }
        self.leads = list(
            Lead.objects.filter(organization=self.campaign.organization_id).order_by("email")
        )
        self.expected: dict = {}  # lead id -> the account its message must be queued on
        self.opted_out: dict[str, int] = {}
        self.launched = False

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def account_of(self, username: str) -> EmailAccount:
        return EmailAccount.objects.get(pk=self.accounts[username].pk)

    def received(self) -> Counter:
        return Counter(m["To"].addresses[0].addr_spec for m in self.google.sent[self.sent_before :])

    @rule(index=st.integers(0, LEADS - 1), agent=st.sampled_from(AGENTS))
    def assign(self, index, agent):
        owner = self.accounts[agent].user if agent else None
        Lead.objects.filter(pk=self.leads[index].pk).update(owner=owner)

    @rule(agent=st.sampled_from(AGENTS[:2]))
    def disconnect(self, agent):
        account = self.account_of(agent)
        if account.is_active:
            oauth.disconnect(account)

    @rule(agent=st.sampled_from(AGENTS[:2]))
    def reconnect(self, agent):
        address = self.accounts[agent].email_address
        EmailAccount.objects.filter(pk=self.accounts[agent].pk).update(
            is_active=True,
            needs_reconnect=False,
            access_token=self.google.issue_access_token(mailbox=address),
            refresh_token=self.google.issue_refresh_token(mailbox=address),
        )

    @rule(agent=st.sampled_from(AGENTS[:2]))
    def needs_reconnecting(self, agent):
        self.account_of(agent).require_reconnect("Google refused the token")

    @precondition(lambda self: not self.launched)
    @rule()
    def launch(self):
        """The launch queues each lead on their agent's connected account, else the
        campaign's: what the machine expects is worked out here, from the rows."""
        connected = {
            account.user_id: account.pk
            for account in EmailAccount.objects.filter(
                pk__in=[a.pk for a in self.accounts.values()], is_active=True
            )
        }
        for lead in Lead.objects.filter(pk__in=[lead.pk for lead in self.leads]):
            self.expected[lead.pk] = connected.get(lead.owner_id, self.fallback.pk)
        blasts.campaign_launch(campaign=Campaign.objects.get(pk=self.campaign.pk))
        self.launched = True

    @rule(rounds=st.integers(1, 3))
    def send(self, rounds):
        waiting = set(
            EmailAccount.objects.filter(needs_reconnect=True).values_list(
                "email_address", flat=True
            )
        )
        before = len(self.google.sent_from)
        for _ in range(rounds):
            for account in claims.sendable_accounts():
                while (claimed := claims.claim_for_account(account)).reason == claims.PACED:
                    continue
                for message in claimed.messages:
                    claims.send_one(message, account)
        assert not waiting & set(self.google.sent_from[before:])

    @rule(index=st.integers(0, LEADS - 1))
    def opt_out(self, index):
        lead = self.leads[index]
        self.opted_out.setdefault(lead.email, self.received()[lead.email])
        unsubscribes.unsubscribe(lead)

    @invariant()
    def each_message_is_queued_on_the_account_its_agent_had_at_the_launch(self):
        queued_on = dict(
            MessageLog.objects.filter(campaign=self.campaign_id).values_list(
                "lead", "email_account"
            )
        )
        assert queued_on == (self.expected if self.launched else {})

    @invariant()
    def every_message_leaves_from_its_accounts_own_mailbox(self):
        assert self.google.problems == []
        sent = MessageLog.objects.filter(campaign=self.campaign_id, status="sent")
        mine = {account.email_address for account in EmailAccount.objects.all()}
        assert set(self.google.sent_from) <= mine
        for message in sent.select_related("email_account"):
            assert message.email_account.pk == self.expected[message.lead_id]

    @invariant()
    def at_most_one_send_per_lead_and_none_after_opting_out(self):
        received = self.received()
        assert all(count <= 1 for count in received.values())
        for address, before in self.opted_out.items():
            assert received[address] == before


@pytest.mark.django_db(transaction=True)
def test_sending_from_each_agent_holds_its_invariants_whatever_happens(
    campaign_a, org_a, staff_a, maria, tom, google
):
    primary = connect_gmail(google, staff_a, org_a, "alice@gmail.example")
    connect_gmail(google, maria, org_a, "maria@gmail.example")
    connect_gmail(google, tom, org_a, "tom@gmail.example")
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=primary, send_from_agents=True)
    Lead.objects.bulk_create(
        Lead(organization=org_a, name=f"L{n}", email=f"o{n}@example.com") for n in range(LEADS)
    )
    Owners.google, Owners.campaign_id = google, campaign_a.pk
    Owners.TestCase.settings = settings(
        max_examples=30,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    Owners.TestCase().runTest()
