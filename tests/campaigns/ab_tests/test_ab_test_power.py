"""An A/B test too small to tell anything is said before launch, by the standard power
calculation of a two-proportion test (95% significance, 80% power) at the measure's usual
rate: the smallest difference it can tell, and the test share that would tell a useful one."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.ab_tests import power
from campaigns.models import Campaign, CampaignStep, MessageLog
from crm.models import Lead


def test_the_sample_size_is_the_textbook_ones():
    # Fleiss' formula without continuity correction: 20% against 30% needs 294 a group,
    # 10% against 15% needs 686 (the figures power tables give).
    assert power.leads_needed(0.20, 0.30) == 294
    assert power.leads_needed(0.10, 0.15) == 686
    assert power.leads_needed(0.5, 0.5) == float("inf")


def test_the_smallest_difference_shrinks_as_the_groups_grow():
    assert power.detectable(0.20, 294) == pytest.approx(0.30, abs=0.001)
    assert power.detectable(0.20, 9) == pytest.approx(0.818, abs=0.001)
    assert power.detectable(0.20, 2) is None  # not even 100% against 20%


@pytest.fixture
def small_test(campaign_a):
    """A blast of 100 leads testing two subjects on 18% of them: 9 per subject."""
    Campaign.objects.filter(pk=campaign_a.pk).update(track_opens=True, ab_share=18)
    CampaignStep.objects.filter(campaign=campaign_a).update(subject_b="Other")
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(100)
    )
    campaign_a.refresh_from_db()
    return campaign_a


TOO_SMALL = (
    "9 leads per subject can only tell a 20% open rate from 82% or more, and even the whole "
    "audience (50 leads per subject) could not tell 20% from 30%: the test will most likely "
    "end in a tie, and subject A goes to the rest. 20% is a typical open rate: your agency "
    "has not sent enough yet to know its own."
)


def test_the_launch_page_and_the_draft_say_a_test_is_too_small(client_a, small_test):
    launch = client_a.get(reverse("admin:campaigns_campaign_launch", args=[small_test.pk]))
    assert TOO_SMALL in launch.content.decode()
    draft = client_a.get(reverse("admin:campaigns_campaign_change", args=[small_test.pk]))
    assert TOO_SMALL in draft.content.decode()


def test_the_share_that_would_do_is_named_and_a_large_test_says_nothing(small_test):
    Lead.objects.bulk_create(
        Lead(organization=small_test.organization, name=f"M{n}", email=f"m{n}@example.com")
        for n in range(900)
    )
    # 1,000 leads: 18% is 90 per subject; 294 each needs 59%.
    assert power.too_small(small_test, 90, 2, 1000).startswith(
        "90 leads per subject can only tell a 20% open rate from 39% or more: raise the test "
        "share to 59% (294 leads per subject) to tell 20% from 30%."
    )
    assert power.too_small(small_test, 300, 2, 1000) == ""


def test_the_usual_rate_is_the_agencys_own_once_it_has_sent_enough(small_test, lead_a):
    now = timezone.now()
    MessageLog.objects.bulk_create(
        MessageLog(
            organization=small_test.organization,
            campaign=small_test,
            lead=lead_a,
            is_test=False,
            status=MessageLog.Status.SENT,
            sent_at=now,
            opened_at=now if n < 80 else None,
        )
        for n in range(200)
    )
    usual = power.usual_rate(small_test)
    assert usual == power.Usual(0.4, own=True)
    assert "40% is your agency's open rate over the last 90 days." in power.too_small(
        small_test, 9, 2, 100
    )
