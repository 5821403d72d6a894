"""A step is called by its name, or by its place and its subject in its own words, each
merge field a chip ("‹first name›"): never by its template code nor by a sample lead's
values, on any page."""

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


def test_an_unnamed_step_shows_its_place_and_its_subject_with_chips_for_merge_fields(sequence):
    first, second = sequence.steps.order_by("order")
    assert str(first) == "Step 1 · day 0 · Welcome to Sunset Realty, ‹first name›"
    assert str(second) == "Step 2 · day 3 · New listings in ‹city›"


def test_a_named_step_shows_its_name(sequence):
    step = sequence.steps.get(order=2)
    step.name = "Listings nudge"
    assert step.label() == "Listings nudge"


def test_a_blast_step_has_no_day_and_a_broken_subject_shows_no_code(campaign_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(subject="Hi {{ lead.nope")
    assert str(campaign_a.steps.get()) == "Step 1"
    CampaignStep.objects.filter(campaign=campaign_a).update(subject="Hi {{ lead.first_name }}")
    assert str(campaign_a.steps.get()) == "Step 1 · Hi ‹first name›"


def test_the_launch_page_names_the_step_without_template_code(client_a, sequence, lead_a):
    page = client_a.get(reverse("admin:campaigns_campaign_launch", args=[sequence.pk]))
    text = page.content.decode()
    assert "Step 1 · day 0 · Welcome to Sunset Realty, ‹first name›" in text
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
    assert "Step 2 · day 3 · New listings in ‹city›" in funnel
    assert "{{" not in funnel
    steps = client_a.get(reverse("admin:campaigns_campaignstep_changelist")).content.decode()
    assert "Step 2 · day 3 · New listings in ‹city›" in steps
    assert "lead.city" not in steps


def test_no_label_shows_a_sample_leads_values(org_a, account_a):
    campaign = Campaign.objects.create(organization=org_a, name="Paris", email_account=account_a)
    CampaignStep.objects.create(
        campaign=campaign,
        order=1,
        subject="Bonjour {{ lead.first_name }}, un bien pour vous à {{ lead.city }}",
        body_template="<p>Hi</p>",
    )
    label = str(campaign.steps.get())
    assert label == "Step 1 · Bonjour ‹first name›, un bien pour vous à ‹city›"
    assert "Sam" not in label and "Los Angeles" not in label


def test_a_condition_and_a_custom_field_read_as_chips(campaign_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(
        subject="{% if lead.first_name %}{{ lead.first_name }}, p{% else %}P{% endif %}rices in "
        "{{ lead.custom.neighborhood | default('town') }} from {{ lead.budget_min * 2 }}"
    )
    label = str(campaign_a.steps.get())
    assert label == "Step 1 · ‹first name›, prices in ‹neighborhood› from ‹budget min›"


def test_a_listing_alerts_email_is_named_after_its_listing(org_a, account_a):
    from tests.conftest import list_property, make_buyer, make_listing_alerts, reprice

    alerts = make_listing_alerts(org_a, account_a)
    CampaignStep.objects.filter(campaign=alerts).update(
        subject="{% if property.old_price %}Price drop{% else %}Just listed{% endif %}: "
        "{{ property.title }} in {{ property.city }}, {{ lead.first_name }}"
    )
    make_buyer(org_a, "Ana Souza")
    item = list_property(org_a)
    (new,) = item.listing_alerts.all()
    (dropped,) = reprice(item, 900_000)
    assert str(new.blast) == "New listing 12 Oak St"
    label = str(new.blast.steps.get())
    assert label == "Step 1 · Just listed: Craftsman bungalow in Pasadena, ‹first name›"
    assert str(dropped.blast.steps.get()).startswith("Step 1 · Price drop: Craftsman bungalow")
    # The campaign itself is about any listing: its fields are chips.
    assert str(alerts.steps.get()) == (
        "Step 1 · Price drop: ‹property› in ‹property city›, ‹first name›"
    )


def test_a_label_writes_a_listings_money_as_the_campaigns_leads_read_it(campaign_b, account_b):
    from tests.conftest import list_property, make_buyer, make_listing_alerts

    organization = campaign_b.organization
    organization.country, organization.language, organization.currency = "FR", "fr", "EUR"
    organization.save()
    step = campaign_b.steps.get()
    step.subject = "Dès {{ property.price | money }}"
    step.save()
    # Not about one listing: the price is a chip, never the sample's (named in the
    # campaign's language, as its subject is written).
    assert CampaignStep.objects.get(pk=step.pk).label() == "Step 1 · Dès ‹prix›"
    alerts = make_listing_alerts(organization, account_b)
    CampaignStep.objects.filter(campaign=alerts).update(subject=step.subject)
    make_buyer(organization, "Ana Souza")
    (alert,) = list_property(organization, price=900_000).listing_alerts.all()
    assert str(alert.blast.steps.get()) == "Step 1 · Dès 900\u202f000\xa0€"
