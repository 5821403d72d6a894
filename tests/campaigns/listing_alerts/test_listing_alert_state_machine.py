"""A Hypothesis state machine over listing alerts: listings added, repriced up and down,
saved unchanged, sold and back on the market; alerts sent, dismissed, sent twice; leads
added and opting out; the sender delivering. Two campaigns listen (5% drops reviewed, 10%
drops sent at once). The invariants: each campaign alerts exactly when the model says (a
new listing; a drop of its threshold from its last alert's price, never the same drop
twice), no lead ever gets two alerts about one listing, a sent alert went to exactly the
leads recorded for it, and nothing reaches a lead after they opted out.

It lives apart from launching/test_state_machine.py (the campaigns' lifecycle), as its own
machine: the two share no rule."""

import contextlib
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from campaigns.events import unsubscribes
from campaigns.listing_alerts import triggers
from campaigns.models import AlertedLead, Campaign, ListingAlert, MessageLog
from crm.models import Lead, Organization, Property
from tests.conftest import make_buyer, make_listing_alerts
from tests.google_standin import StandIn

PRICES = st.sampled_from([700_000, 800_000, 850_000, 900_000, 950_000, 1_000_000, 1_100_000])
LISTINGS = 3
State = ListingAlert.State


class ListingAlerts(RuleBasedStateMachine):
    # Set by the test: the stand-in, and the agency.
    google: StandIn
    organization: Organization

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.sent_before = len(self.google.sent)
        self.campaigns = list(
            Campaign.objects.filter(type=Campaign.Type.LISTING_ALERT).order_by("name")
        )
        self.listings: list[Property] = []
        # The model: per (campaign, listing), the price drops are measured from.
        self.reference: dict[tuple, int] = {}
        self.expected: Counter = Counter()  # alerts per campaign
        self.opted_out: dict[str, Counter] = {}  # address -> what it had received then
        self.added = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def received(self) -> Counter:
        """(address, subject) of each delivery; the subject names the listing."""
        return Counter(
            (m["To"].addresses[0].addr_spec, str(m["Subject"]))
            for m in self.google.sent[self.sent_before :]
        )

    def save(self, item: Property, created: bool) -> None:
        made = Counter(alert.campaign_id for alert in triggers.property_save(item=item))
        for campaign in self.campaigns:
            key = (campaign.pk, item.pk)
            if created:
                self.reference[key] = item.price
                news = True
            else:
                threshold = 100 - campaign.alert_price_drop
                news = item.price * 100 <= self.reference[key] * threshold
                if news:
                    self.reference[key] = item.price
            assert made[campaign.pk] == news, (campaign.name, created, item.price)
            self.expected[campaign.pk] += news

    @precondition(lambda self: len(self.listings) < LISTINGS)
    @rule(price=PRICES)
    def add_listing(self, price):
        item = Property(
            organization=self.organization,
            title=f"Home {len(self.listings) + 1}",
            city="Pasadena",
            price=price,
        )
        self.save(item, created=True)
        self.listings.append(item)

    @precondition(lambda self: self.listings)
    @rule(data=st.data(), price=PRICES)
    def reprice(self, data, price):
        item = data.draw(st.sampled_from(self.listings))
        item.price = price
        self.save(item, created=False)

    @precondition(lambda self: self.listings)
    @rule(data=st.data())
    def save_unchanged(self, data):
        item = data.draw(st.sampled_from(self.listings))
        assert triggers.property_save(item=item) == []

    @precondition(lambda self: self.listings)
    @rule(data=st.data(), status=st.sampled_from(Property.Status.values))
    def change_status(self, data, status):
        item = data.draw(st.sampled_from(self.listings))
        item.status = status
        assert triggers.property_save(item=item) == []

    @precondition(lambda self: ListingAlert.objects.filter(state=State.PENDING).exists())
    @rule(data=st.data(), send=st.booleans())
    def decide(self, data, send):
        pending = list(ListingAlert.objects.filter(state=State.PENDING).order_by("created_at"))
        alert = data.draw(st.sampled_from(pending))
        decide = triggers.alert_send if send else triggers.alert_dismiss
        decide(alert=alert, user=None)
        assert alert.state != State.PENDING

    @precondition(lambda self: ListingAlert.objects.exclude(state=State.PENDING).exists())
    @rule(data=st.data())
    def decide_again(self, data):
        decided = list(ListingAlert.objects.exclude(state=State.PENDING).order_by("created_at"))
        alert = data.draw(st.sampled_from(decided))
        messages = MessageLog.objects.count()
        with contextlib.suppress(triggers.AlertError):
            triggers.alert_send(alert=alert, user=None)
            raise AssertionError("a decided alert was sent again")
        assert MessageLog.objects.count() == messages

    @rule(low=st.sampled_from([None, 600_000, 850_000]), high=PRICES)
    def add_lead(self, low, high):
        """A lead who joins later: a drop alert about a listing may reach them."""
        self.added += 1
        budget = (low, max(high, low or 0))
        make_buyer(self.organization, f"New {self.added}", budget=budget)

    @rule(data=st.data())
    def opt_out(self, data):
        leads = list(Lead.objects.filter(unsubscribed_at__isnull=True).order_by("email"))
        if leads:
            lead = data.draw(st.sampled_from(leads))
            received = self.received()
            self.opted_out[lead.email] = Counter(
                {key: n for key, n in received.items() if key[0] == lead.email}
            )
            unsubscribes.unsubscribe(lead)

    @rule(count=st.integers(min_value=1, max_value=5))
    def deliver(self, count):
        call_command("send_queued", "--limit", str(count), stdout=StringIO(), stderr=StringIO())

    @invariant()
    def each_campaign_alerted_as_the_model_says(self):
        for campaign in self.campaigns:
            assert campaign.listing_alerts.count() == self.expected[campaign.pk]
            for item in self.listings:
                prices = list(
                    campaign.listing_alerts.filter(property=item)
                    .order_by("created_at")
                    .values_list("new_price", flat=True)
                )
                assert prices == sorted(set(prices), reverse=True)  # each drop once, lower

    @invariant()
    def no_lead_gets_two_alerts_about_a_listing(self):
        assert all(count == 1 for count in self.received().values())
        told = MessageLog.objects.filter(is_test=False).values_list(
            "lead", "campaign__listing_alert__property"
        )
        assert all(count == 1 for count in Counter(told).values())

    @invariant()
    def a_sent_alert_went_to_the_leads_recorded_for_it(self):
        for alert in ListingAlert.objects.filter(state=State.SENT):
            recorded = set(AlertedLead.objects.filter(alert=alert).values_list("lead", flat=True))
            messaged = set(
                MessageLog.objects.filter(campaign=alert.blast_id).values_list("lead", flat=True)
            )
            assert recorded == messaged and len(recorded) == alert.matched > 0
        for alert in ListingAlert.objects.exclude(state=State.SENT):
            assert not AlertedLead.objects.filter(alert=alert).exists()
            assert (alert.blast_id is not None) == (alert.state == State.PENDING)

    @invariant()
    def nothing_reaches_a_lead_after_opting_out(self):
        received = self.received()
        for address, before in self.opted_out.items():
            now = Counter({key: n for key, n in received.items() if key[0] == address})
            assert now == before


@pytest.mark.django_db(transaction=True)
def test_listing_alerts_hold_their_invariants_whatever_happens(org_a, gmail_account, google):
    make_listing_alerts(org_a, gmail_account, alert_price_drop=5)
    automatic = make_listing_alerts(
        org_a, gmail_account, alert_price_drop=10, alert_send_automatically=True
    )
    Campaign.objects.filter(pk=automatic.pk).update(name="Listing alerts, sent at once")
    budgets = [(None, None), (600_000, 900_000), (800_000, 1_000_000), (900_000, None)]
    for n, budget in enumerate(budgets * 2):
        make_buyer(org_a, f"Buyer {n}", budget=budget)
    ListingAlerts.google, ListingAlerts.organization = google, org_a
    ListingAlerts.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    ListingAlerts.TestCase().runTest()
