"""A running sequence shows what is still to come ("35 active, 35 steps still due (18 of
step 2, 17 of step 3), next on Dec 3, 09:00"), not a blast's "% done · per minute"; and
cancelling it names the leads who will not get those steps."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, Enrollment
from crm.models import Lead
from tests.conftest import make_sequence

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.fixture
def nurture(org_a, account_a):
    """35 leads through step 1: 18 wait for step 2, 17 (further along) for step 3."""
    sequence = make_sequence(org_a, account_a)
    Campaign.objects.filter(pk=sequence.pk).update(
        status=Campaign.Status.ACTIVE, launched_at=timezone.now()
    )
    sequence.refresh_from_db()
    day_after_tomorrow = timezone.localtime(timezone.now(), LA).date() + datetime.timedelta(days=2)
    nine = datetime.datetime.combine(day_after_tomorrow, datetime.time(9), tzinfo=LA)
    for n in range(35):
        lead = Lead.objects.create(
            organization=org_a, name=f"Buyer {n:02}", email=f"buyer{n:02}@example.com"
        )
        Enrollment.objects.create(
            organization=org_a,
            campaign=sequence,
            lead=lead,
            started_at=timezone.now(),
            next_order=2 if n < 18 else 3,
            next_due_at=nine + datetime.timedelta(hours=n % 5),
        )
    done = Lead.objects.create(organization=org_a, name="Done", email="done@example.com")
    Enrollment.objects.create(
        organization=org_a,
        campaign=sequence,
        lead=done,
        started_at=timezone.now(),
        state=Enrollment.State.COMPLETED,
    )
    return sequence


def next_at(sequence) -> str:
    first = Enrollment.objects.filter(campaign=sequence, state="active").order_by("next_due_at")
    local = first[0].next_due_at.astimezone(LA)
    return f"{local:%b} {local.day}, 09:00"


def test_the_sequence_page_says_what_is_still_to_come(client_a, nurture):
    html = client_a.get(reverse("admin:campaigns_campaign_change", args=[nurture.pk])).content
    html = html.decode()
    expected = (
        f"35 active, 35 steps still due (18 of step 2, 17 of step 3), next on {next_at(nurture)}"
    )
    assert expected in html
    assert "% done" not in html and "per minute" not in html
    data = client_a.get(reverse("admin:campaigns_campaign_progress", args=[nurture.pk])).json()
    assert data["state_line"] == expected
    assert (data["sequence"]["active"], data["sequence"]["completed"]) == (35, 1)
    # The per-step table's Waiting says the same, step by step.
    assert [row["waiting"] for row in data["funnel"]] == [0, 18, 17]
    # The bar: leads through the sequence (1 of 36).
    assert data["bar_percent"] == 2.8


def test_a_step_made_inactive_is_passed_over_for_the_next(client_a, nurture):
    nurture.steps.filter(order=2).update(is_active=False)
    data = client_a.get(reverse("admin:campaigns_campaign_progress", args=[nurture.pk])).json()
    assert data["state_line"].startswith("35 active, 35 steps still due (35 of step 3), next on")
    assert [row["waiting"] for row in data["funnel"]] == [0, 0, 35]


def test_a_paused_sequence_holds_what_is_due(client_a, nurture):
    nurture.pause()
    data = client_a.get(reverse("admin:campaigns_campaign_progress", args=[nurture.pk])).json()
    assert data["state_line"].endswith("(18 of step 2, 17 of step 3), held while paused")


def test_the_cancel_confirmation_names_the_leads_still_in_the_sequence(client_a, nurture):
    response = client_a.get(reverse("admin:campaigns_campaign_cancel", args=[nurture.pk]))
    html = response.content.decode()
    assert "35 leads are still in the sequence and will get none of the steps still due" in html
    assert "35 steps still due (18 of step 2, 17 of step 3)" in html
    named = Lead.objects.filter(name__startswith="Buyer").order_by("name")
    for lead in named[:20]:
        assert reverse("admin:crm_lead_change", args=[lead.pk]) in html
    assert reverse("admin:crm_lead_change", args=[named[20].pk]) not in html
    assert "Done" not in html
    every = reverse("admin:campaigns_enrollment_changelist")
    assert f"{every}?campaign__id__exact={nurture.pk}&amp;state__exact=active" in html
    assert "See all 35" in html


def test_the_cancel_confirmation_of_a_blast_names_who_waits(client_a, campaign_a, org_a):
    for n in range(2):
        Lead.objects.create(organization=org_a, name=f"Lead {n}", email=f"lead{n}@example.com")
    blasts.campaign_launch(campaign=campaign_a)
    html = client_a.get(reverse("admin:campaigns_campaign_cancel", args=[campaign_a.pk]))
    html = html.content.decode()
    assert "2 leads will not get this campaign" in html
    assert "lead0@example.com" in html and "lead1@example.com" in html


def test_a_cancelled_sequence_says_so_instead_of_what_was_due(client_a, nurture):
    client_a.post(reverse("admin:campaigns_campaign_cancel", args=[nurture.pk]))
    data = client_a.get(reverse("admin:campaigns_campaign_progress", args=[nurture.pk])).json()
    assert data["state_line"] == "Cancelled: no more steps are sent."
    assert data["live"] is False and data["actions"] == ["archive", "preview", "duplicate"]
