"""Launching a blast whose step has two subjects or more: the launch page announces the
test; the test share is split evenly between the subjects and the rest is queued held; the
test's settings are frozen as launched. A launch whose measure is not counted is refused,
saying so; an audience too small for a test gets the first subject."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from campaigns.ab_tests import variants
from campaigns.launching import blasts
from campaigns.models import AbTest, Campaign, CampaignStep, MessageLog
from crm.models import Lead
from tests.conftest import ab_blast


def launch_url(campaign: Campaign) -> str:
    return reverse("admin:campaigns_campaign_launch", args=[campaign.pk])


def test_the_test_share_is_split_evenly_and_the_rest_is_held(campaign_a):
    ab_blast(campaign_a, leads=10, share=50)  # 5 in the test: 2 per subject, 1 left over
    Campaign.objects.filter(pk=campaign_a.pk).update(ab_share=90)  # after the launch
    test = AbTest.objects.get(campaign=campaign_a)
    assert (test.variants, test.share, test.per_variant) == ("AB", 50, 2)
    messages = MessageLog.objects.filter(campaign=campaign_a)
    assert sorted(messages.values_list("ab_group", "variant")) == [
        ("held", ""),
        ("held", ""),
        ("held", ""),
        ("held", ""),
        ("held", ""),
        ("held", ""),
        ("test", "A"),
        ("test", "A"),
        ("test", "B"),
        ("test", "B"),
    ]


def test_a_step_with_one_subject_launches_as_before(campaign_a):
    Lead.objects.create(organization=campaign_a.organization, name="Ana", email="ana@example.com")
    blasts.campaign_launch(campaign=campaign_a)
    assert not AbTest.objects.exists()
    assert MessageLog.objects.get(campaign=campaign_a).ab_group == ""


def test_too_few_leads_for_a_test_send_the_first_subject_to_everyone(campaign_a):
    ab_blast(campaign_a, leads=3, share=20)
    test = AbTest.objects.get(campaign=campaign_a)
    assert test.winner == "A" and test.outcome == variants.TOO_FEW.format(count=3, share=20)
    messages = MessageLog.objects.filter(campaign=campaign_a)
    assert set(messages.values_list("ab_group", "variant")) == {("rest", "A")}


def test_the_launch_page_announces_the_test(client_a, campaign_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(subject_b="Other {{ lead.name }}")
    Campaign.objects.filter(pk=campaign_a.pk).update(track_opens=True, ab_share=40)
    for n in range(10):
        Lead.objects.create(organization=campaign_a.organization, name=f"L{n}", email=f"{n}@x.io")
    html = client_a.get(launch_url(campaign_a)).content.decode()
    assert "<strong>B</strong> · Other ‹full name›</li>" in html
    assert (
        "First, 40% of the audience: <strong>2</strong> leads per subject (4 in all). 4 hours "
        "after the last of them is sent, the subject with the most unique opens goes to the "
        "other 6"
    ) in html


@pytest.mark.parametrize(
    ("measure", "refusal"),
    [("opens", variants.NEEDS_OPENS), ("clicks", variants.NEEDS_CLICKS)],
)
def test_a_launch_whose_measure_is_not_counted_is_refused(client_a, campaign_a, measure, refusal):
    CampaignStep.objects.filter(campaign=campaign_a).update(subject_b="Other")
    Campaign.objects.filter(pk=campaign_a.pk).update(ab_measure=measure)
    Lead.objects.create(organization=campaign_a.organization, name="Ana", email="ana@example.com")
    campaign_a.refresh_from_db()
    html = client_a.get(launch_url(campaign_a)).content.decode()
    assert escape(refusal) in html
    button = html[html.rindex("<button", 0, html.index('id="launch-now"')) :]
    assert " disabled" in button[: button.index(">")]
    with pytest.raises(blasts.LaunchError, match=re.escape(refusal)):
        blasts.campaign_launch(campaign=campaign_a)
    assert not MessageLog.objects.exists()


def test_a_test_on_replies_needs_an_account_that_detects_them(campaign_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(subject_b="Other")
    Campaign.objects.filter(pk=campaign_a.pk).update(ab_measure="replies")
    Lead.objects.create(organization=campaign_a.organization, name="Ana", email="ana@example.com")
    campaign_a.refresh_from_db()
    refusal = variants.NEEDS_REPLIES.format(account="alice@sunset.example")
    with pytest.raises(blasts.LaunchError, match=re.escape(refusal)):
        blasts.campaign_launch(campaign=campaign_a)
