"""A Hypothesis state machine over the campaign's lifecycle (launch, pause, resume, cancel,
complete), sending, duplicate reports, unsubscribes and crashes, with the invariants: each
lifecycle step moves the campaign only from the states it names (and is refused, changing
nothing, from any other), nothing is claimed for a campaign that is not active, at most one
send per (step, lead), nothing sent to a lead after they opted out, and the account's
send plan planning every message that waits, within the cap. The same with an A/B subject
test, and its own invariants."""

import datetime
import uuid
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from campaigns.ab_tests import variants
from campaigns.events import unsubscribes
from campaigns.launching import blasts
from campaigns.models import (
    AbGroup,
    AbTest,
    Campaign,
    CampaignStatusError,
    CampaignStep,
    EmailAccount,
    MessageLog,
)
from campaigns.outbox import claims
from campaigns.reporting.planner.plans import account_plan
from crm.models import Lead
from tests.google_standin import StandIn

LEADS = 8
Status = Campaign.Status
# Each lifecycle step: the states it moves a campaign from, and the one it moves it to.
LIFECYCLE = {
    "launch": ({Status.DRAFT}, Status.ACTIVE),
    "pause": ({Status.ACTIVE}, Status.PAUSED),
    "resume": ({Status.PAUSED}, Status.ACTIVE),
    "cancel": ({Status.ACTIVE, Status.PAUSED}, Status.COMPLETED),
    "complete": ({Status.ACTIVE}, Status.COMPLETED),
}


class Sending(RuleBasedStateMachine):
    # Set by the test: the stand-in, and the campaign's id.
    google: StandIn
    campaign_id: uuid.UUID
    campaign: Campaign

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.sent_before = len(self.google.sent)
        self.campaign = Campaign.objects.get(pk=self.campaign_id)
        self.account = self.campaign.email_account
        self.leads = list(Lead.objects.filter(organization=self.campaign.organization_id))
        self.opted_out: dict[str, int] = {}  # address -> messages it had when opting out
        self.status = Status.DRAFT  # what the campaign's status must be

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def received(self) -> Counter:
        return Counter(m["To"].addresses[0].addr_spec for m in self.google.sent[self.sent_before :])

    def claim(self) -> list[MessageLog]:
        """The sender's claim, waiting out the account's quota slot (a fraction of a
        millisecond here), so that no run depends on the clock."""
        while (claimed := claims.claim_for_account(self.account)).reason == claims.PACED:
            continue
        return claimed.messages

    def step(self, name: str, move) -> None:
        """Run a lifecycle step: it moves the campaign when its status allows, else it is
        refused and nothing changes."""
        sources, target = LIFECYCLE[name]
        legal = self.status in sources
        try:
            move(Campaign.objects.get(pk=self.campaign.pk))
        except (CampaignStatusError, blasts.LaunchError):
            assert not legal, f"{name} refused from {self.status}"
        else:
            assert legal, f"{name} allowed from {self.status}"
            self.status = target

    @rule()
    def launch(self):
        self.step("launch", lambda campaign: blasts.campaign_launch(campaign=campaign))

    @rule()
    def pause(self):
        self.step("pause", Campaign.pause)

    @rule()
    def resume(self):
        self.step("resume", Campaign.resume)

    @rule()
    def cancel(self):
        self.step("cancel", Campaign.cancel)

    @rule()
    def complete(self):
        self.step("complete", Campaign.complete)

    @rule()
    def finish_dispatches(self):
        """The sender's housekeeping completes a blast whose dispatch has nothing left."""
        waiting = MessageLog.objects.filter(
            campaign=self.campaign, status__in=[MessageLog.Status.QUEUED, MessageLog.Status.SENDING]
        )
        running = self.campaign.dispatches.filter(status="running").exists()
        blasts.finish_dispatches()
        if running and not waiting.exists() and self.status == Status.ACTIVE:
            self.status = Status.COMPLETED

    @rule(count=st.integers(min_value=1, max_value=4))
    def send(self, count):
        for _ in range(count):
            claimed = self.claim()
            assert not claimed or self.status == Status.ACTIVE
            for message in claimed:
                claims.send_one(message, self.account)

    @rule(index=st.integers(min_value=0, max_value=LEADS - 1))
    def opt_out(self, index):
        lead = self.leads[index]
        self.opted_out.setdefault(lead.email, self.received()[lead.email])
        unsubscribes.unsubscribe(lead)

    @rule(after_send=st.booleans())
    def crash(self, after_send):
        """The sender dies holding a claim, before or after Gmail accepted the message."""
        for message in self.claim():
            if after_send and claims.send_one(message, self.account) == "sent":
                # Gmail has it, but the record never reached the database.
                MessageLog.objects.filter(pk=message.pk).update(status=MessageLog.Status.SENDING)

    @rule()
    def restart_after_a_crash(self):
        claims.expire_stale_claims(now=timezone.now() + datetime.timedelta(hours=1))

    @rule()
    def duplicate_report(self):
        # Not a precondition: whether a message went out yet depends on the pace's wall
        # clock, and Hypothesis needs the same rules offered when it replays a run.
        message = MessageLog.objects.filter(status="sent").first()
        if message is not None:
            assert not claims.finish(message, MessageLog.Status.SENT)  # a replay changes nothing

    @invariant()
    def the_status_is_what_the_lifecycle_says(self):
        assert Campaign.objects.get(pk=self.campaign.pk).status == self.status

    @invariant()
    def at_most_one_send_per_lead(self):
        assert all(count <= 1 for count in self.received().values())
        assert MessageLog.objects.filter(campaign=self.campaign, is_test=False).count() <= LEADS

    @rule(cap=st.integers(min_value=1, max_value=LEADS))
    def change_the_cap(self, cap):
        EmailAccount.objects.filter(pk=self.account.pk).update(daily_limit=cap)

    @rule()
    def read_the_send_plan(self):
        """Whenever staff look, the account's send plan counts every message that waits
        while the campaign is active (an A/B test's rest too: planned from the moment its
        winner is due, else counted as held for it and no finish given), holds them all
        while it is paused, and no day of it sends more than the cap. (A rule, not an
        invariant: a plan after every step doubles the run's time.)"""
        plan = account_plan(self.account)
        row = plan.of(self.campaign)
        waiting = MessageLog.objects.filter(
            campaign=self.campaign, status=MessageLog.Status.QUEUED, is_test=False
        ).count()
        if self.status == Status.ACTIVE:
            assert row is None if not waiting else (row.waiting, row.held) == (waiting, 0)
            if row and row.messages and not (row.ab_held and row.ab_decision is None):
                assert row.finish is not None and row.finish >= plan.now
        elif self.status == Status.PAUSED and waiting:
            assert row is not None and (row.messages, row.held) == (0, waiting)
        else:
            assert row is None or row.waiting == 0
        assert all(day.total <= day.cap for day in plan.days)

    @invariant()
    def nothing_after_opting_out(self):
        received = self.received()
        for address, before in self.opted_out.items():
            assert received[address] == before


def run(machine: type[Sending], google, campaign: Campaign, examples: int) -> None:
    """Run the state machine on the campaign, sending through the Gmail stand-in."""
    machine.google, machine.campaign_id = google, campaign.pk
    machine.TestCase.settings = settings(
        max_examples=examples,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine.TestCase().runTest()


@pytest.mark.django_db(transaction=True)
def test_sending_holds_its_invariants_whatever_happens(campaign_a, gmail_account, google):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"L{n}", email=f"m{n}@example.com")
        for n in range(LEADS)
    )
    run(Sending, google, campaign_a, examples=40)


class SendingWithAbTest(Sending):
    """The same lifecycle, for a blast testing two subjects on half its audience, with the
    test's own steps: its decision when the wait is over, and staff picking a winner. Its
    invariants: a held message is never claimed; the rest is released only by the decision,
    taken once, and only while the campaign is active (or picked by staff while paused);
    every message goes out with its own subject."""

    def test_of(self) -> AbTest | None:
        return AbTest.objects.filter(campaign=self.campaign).first()

    @rule(hours=st.integers(min_value=0, max_value=6))
    def decide_when_due(self, hours):
        test = self.test_of()
        undecided = test is not None and test.decided_at is None
        decided = variants.decide_due(timezone.now() + datetime.timedelta(hours=hours))
        assert not decided or (undecided and self.status == Status.ACTIVE)

    @rule(variant=st.sampled_from("ABC"))
    def pick(self, variant):
        test = self.test_of()
        if test is None:
            return
        may = test.decided_at is None and variant in test.variants
        may = may and self.status in (Status.ACTIVE, Status.PAUSED)
        try:
            variants.ab_test_pick(test=test, variant=variant, user=self.account.user)
        except variants.AbTestError:
            assert not may
        else:
            assert may

    @invariant()
    def nothing_held_is_ever_claimed(self):
        held = MessageLog.objects.filter(campaign=self.campaign, ab_group=AbGroup.HELD)
        assert not held.exclude(status__in=["queued", "cancelled", "skipped"]).exists()

    @invariant()
    def the_rest_has_the_winner_once_decided(self):
        test = self.test_of()
        rest = MessageLog.objects.filter(campaign=self.campaign, ab_group=AbGroup.REST)
        if test is None or test.decided_at is None:
            assert not rest.exists()
        else:
            assert set(rest.values_list("variant", flat=True)) <= {test.winner}
            assert not MessageLog.objects.filter(
                campaign=self.campaign, ab_group=AbGroup.HELD
            ).exists()

    @invariant()
    def each_message_goes_out_with_its_subject(self):
        for message in self.google.sent[self.sent_before :]:
            subject = str(message["Subject"])
            variant = MessageLog.objects.get(to_email=message["To"].addresses[0].addr_spec)
            assert subject.startswith(f"{variant.variant} ")


@pytest.mark.django_db(transaction=True)
def test_an_ab_test_holds_its_invariants_whatever_happens(campaign_a, gmail_account, google):
    Campaign.objects.filter(pk=campaign_a.pk).update(
        email_account=gmail_account, track_opens=True, ab_share=50
    )
    CampaignStep.objects.filter(campaign=campaign_a).update(
        subject="A {{ lead.name }}", subject_b="B {{ lead.name }}"
    )
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"L{n}", email=f"m{n}@example.com")
        for n in range(LEADS)
    )
    run(SendingWithAbTest, google, campaign_a, examples=25)
