"""A step is called by its name, or by its place and its subject as a lead would read it:
never by its template code, on any page."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignStep, MessageLog


@pytest.fixture
def sequence(org_a, account_a):
    campaign = Campaign.objects.create(
        organization=org_a,
        name="Price drop alert",
        type=Campaign.Type.SEQUENCE,
        email_account=account_a,
    )
    CampaignStep.objects.create(
        campaign=campaign,
        order=1,
        subject="Welcome to {{ organization.name }}, {{ lead.first_name }}",
        body_template="<p>Hi</p>",
    )
    CampaignStep.objects.create(
        campaign=campaign,
        order=2,
        offset_days=3,
        subject="New listings in {{ lead.city | default('your area') }}",
        body_template="<p>Hi</p>",
    )
    return campaign


def test_an_unnamed_step_shows_its_place_and_its_subject_for_a_sample_lead(sequence):
    first, second = sequence.steps.order_by("order")
    assert str(first) == "Step 1 · day 0 · Welcome to Sunset Realty, Sam"
    assert str(second) == "Step 2 · day 3 · New listings in Los Angeles"


def test_a_named_step_shows_its_name(sequence):
    step = sequence.steps.get(order=2)
    step.name = "Listings nudge"
    assert step.label() == "Listings nudge"


def test_a_blast_step_has_no_day_and_a_broken_subject_shows_no_code(campaign_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(subject="Hi {{ lead.nope")
    assert str(campaign_a.steps.get()) == "Step 1"
    CampaignStep.objects.filter(campaign=campaign_a).update(subject="Hi {{ lead.first_name }}")
    assert str(campaign_a.steps.get()) == "Step 1 · Hi Sam"


def test_the_launch_page_names_the_step_without_template_code(client_a, sequence, lead_a):
    page = client_a.get(reverse("admin:campaigns_campaign_launch", args=[sequence.pk]))
    text = page.content.decode()
    assert "Step 1 · day 0 · Welcome to Sunset Realty, Sam" in text
    assert "{{" not in text.split('id="launch-plan"')[1].split("</dl>")[0]


def test_the_results_by_step_and_the_steps_list_show_labels(client_a, sequence, lead_a):
    Campaign.objects.filter(pk=sequence.pk).update(status=Campaign.Status.ACTIVE)
    MessageLog.objects.create(
        organization=sequence.organization,
        campaign=sequence,
        campaign_step=sequence.steps.get(order=2),
        lead=lead_a,
        status=MessageLog.Status.SENT,
    )
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[sequence.pk]))
    funnel = page.content.decode().split('id="step-funnel"')[1].split("</table>")[0]
    assert "Step 2 · day 3 · New listings in Los Angeles" in funnel
    assert "{{" not in funnel
    steps = client_a.get(reverse("admin:campaigns_campaignstep_changelist")).content.decode()
    assert "Step 2 · day 3 · New listings in Los Angeles" in steps
    assert "lead.city" not in steps


def test_a_label_writes_money_as_the_campaigns_leads_read_it(campaign_b):
    organization = campaign_b.organization
    organization.country, organization.language, organization.currency = "FR", "fr", "EUR"
    organization.save()
    step = campaign_b.steps.get()
    step.subject = "Dès {{ property.price | money }}"
    step.save()
    assert CampaignStep.objects.get(pk=step.pk).label() == "Step 1 · Dès 650 000 €"
