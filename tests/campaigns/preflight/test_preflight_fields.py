"""Which merge fields a step prints and what a blank one becomes, read from the templates'
syntax tree, then counted over the audience in plain words."""

import pytest

from campaigns.models import Campaign, CampaignStep
from campaigns.preflight import preflight_run
from campaigns.preflight.fields import BLANK, FAILS, FALLBACK, LEFT_OUT, step_uses
from crm.models import Lead, Property


@pytest.mark.parametrize(
    ("source", "field", "empty", "missing", "fallback"),
    [
        ("{{ lead.city }}", "lead.city", BLANK, FAILS, None),
        (
            "{{ lead.city|default('your area', true) }}",
            "lead.city",
            FALLBACK,
            FALLBACK,
            "your area",
        ),
        (
            "{{ lead.city|d('your area', boolean=true)|title }}",
            "lead.city",
            FALLBACK,
            FALLBACK,
            "your area",
        ),
        # Without `true`, default() replaces only what is missing, not an empty value.
        ("{{ lead.city|default('your area') }}", "lead.city", BLANK, FALLBACK, "your area"),
        ("{{ lead.city or 'your area' }}", "lead.city", FALLBACK, FAILS, "your area"),
        (
            "{{ lead.city if lead.city else 'your area' }}",
            "lead.city",
            FALLBACK,
            FAILS,
            "your area",
        ),
        ("{% if lead.city %}in {{ lead.city }}{% endif %}", "lead.city", LEFT_OUT, FAILS, None),
        ("{{ lead['first_name']|title }}", "lead.first_name", BLANK, FAILS, None),
        (
            "{% if property %}{{ property.title }}{% endif %}",
            "property.title",
            BLANK,
            LEFT_OUT,
            None,
        ),
        (
            "{{ property.title|default('our listings') }}",
            "property.title",
            BLANK,
            FALLBACK,
            "our listings",
        ),
        # A fallback for the whole expression does not cover a blank part of it.
        ("{{ (lead.city ~ ', CA')|default('x', true) }}", "lead.city", BLANK, FAILS, None),
    ],
)
def test_a_fields_treatment_is_read_from_the_template(source, field, empty, missing, fallback):
    use = step_uses((source, True))[field]
    assert (use.empty, use.missing, use.fallback) == (empty, missing, fallback)


def test_the_worst_use_of_a_field_in_a_step_counts():
    uses = step_uses(
        ("Homes in {{ lead.city|default('your area', true) }}", False),
        ("<p>{{ lead.city }}</p>", True),
    )
    assert uses["lead.city"].empty == BLANK


def test_fields_only_tested_are_not_reported():
    assert step_uses(("{% if lead.status == 'new' %}Welcome{% endif %}", True)) == {}


@pytest.fixture
def nurture(org_a, account_a):
    campaign = Campaign.objects.create(
        organization=org_a, name="Nurture", email_account=account_a, type=Campaign.Type.SEQUENCE
    )
    CampaignStep.objects.create(
        campaign=campaign,
        order=1,
        subject="Homes in {{ lead.city|default('your area', true) }}",
        body_template="<p>Hi {{ lead.first_name }}, homes in "
        "{{ lead.city|default('your area') }}</p>",
    )
    CampaignStep.objects.create(
        campaign=campaign,
        order=2,
        offset_days=3,
        subject="{{ lead.first_name }}, still looking?",
        body_template="<p>{% if property %}About {{ property.title }}{% endif %}"
        "{{ lead.budget_max }}</p>",
    )
    listing = Property.objects.create(organization=org_a, title="Loft")
    for n, (name, city) in enumerate([("Ana Souza", "LA"), ("", "LA"), ("Bo Li", ""), ("Cy", "")]):
        Lead.objects.create(
            organization=org_a,
            name=name,
            email=f"l{n}@example.com",
            city=city,
            property=listing if n == 0 else None,
            budget_max=900_000 if n else None,
        )
    return campaign


def test_blank_fields_are_counted_with_what_each_step_does_about_them(nurture):
    report = preflight_run(nurture)
    found = {finding.key: finding for finding in report.fields}
    assert list(found) == [
        "blank:lead.budget_max",
        "blank:lead.city",
        "blank:lead.first_name",
        "missing:property.title",
    ]
    assert str(found["blank:lead.city"]) == (
        "lead.city: 2 leads with no city: step 1 has no fallback, they get a blank (its "
        "default(…) only replaces a missing value: add “, true”)."
    )
    assert str(found["blank:lead.first_name"]) == (
        "lead.first_name: 1 lead with no first name: step 1 has no fallback, they get a "
        "blank; step 2 has no fallback, they get a blank."
    )
    assert str(found["blank:lead.budget_max"]) == (
        "lead.budget_max: 1 lead with no budget max: step 2 has no fallback, “None” is printed."
    )
    assert str(found["missing:property.title"]) == (
        "property.title: 3 leads with no linked property: step 2 leaves it out."
    )
    first_name = Lead.objects.get(email="l1@example.com").pk
    assert found["blank:lead.first_name"].lead_ids == [first_name]


def test_a_fallback_that_covers_empty_values_is_named(nurture):
    step = nurture.steps.get(order=1)
    step.body_template = "<p>Homes in {{ lead.city|default('your area', true) }}</p>"
    step.save()
    found = {finding.key: str(finding) for finding in preflight_run(nurture).fields}
    assert found["blank:lead.city"] == (
        "lead.city: 2 leads with no city: step 1 uses the fallback “your area”."
    )
