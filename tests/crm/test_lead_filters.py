"""The leads list filters by city, budget range, status, source and campaign."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Enrollment, MessageLog
from crm.models import Lead
from tests.conftest import make_sequence

URL = reverse("admin:crm_lead_changelist")


@pytest.fixture
def leads(org_a, org_b):
    people = [
        ("Ana", "Pasadena", "new", "Zillow", 400_000, 600_000),
        ("Ben", "Pasadena", "qualified", "Referral", 900_000, None),
        ("Cy", "Burbank", "new", "Zillow", None, 350_000),
        ("Dee", "Burbank", "client", "Walk-in", None, None),
    ]
    made = {
        name: Lead.objects.create(
            organization=org_a,
            name=name,
            email=f"{name.lower()}@example.com",
            city=city,
            status=status,
            source=source,
            budget_min=low,
            budget_max=high,
        )
        for name, city, status, source, low, high in people
    }
    Lead.objects.create(organization=org_b, name="Eve", email="eve@example.com", city="Paris")
    return made


def names(client, **query):
    response = client.get(URL, query)
    assert response.status_code == 200
    return sorted(lead.name for lead in response.context["cl"].result_list)


def test_the_filters_offer_my_cities_sources_and_campaigns(client_a, leads, campaign_a, campaign_b):
    page = client_a.get(URL).content.decode()
    for choice in ("Pasadena", "Burbank", "Zillow", "Referral", "budget_from", "Spring A"):
        assert choice in page
    assert "Paris" not in page and "Spring B" not in page


def test_leads_filter_by_city_status_and_source(client_a, leads):
    assert names(client_a, city="Pasadena") == ["Ana", "Ben"]
    assert names(client_a, status__exact="new") == ["Ana", "Cy"]
    assert names(client_a, source="Zillow", city="Burbank") == ["Cy"]


@pytest.mark.parametrize(
    "low, high, expected",
    [
        ("500000", "", ["Ana", "Ben"]),  # can spend at least 500,000
        ("", "500,000", ["Ana", "Cy"]),  # looks at 500,000 or below
        ("450000", "650000", ["Ana"]),
        ("1000000", "", []),
        ("", "", ["Ana", "Ben", "Cy", "Dee"]),
    ],
)
def test_leads_filter_by_budget_range(client_a, leads, low, high, expected):
    assert names(client_a, budget_from=low, budget_to=high) == expected


def test_leads_filter_by_campaign(client_a, leads, org_a, account_a, campaign_b):
    draft = Campaign.objects.create(
        organization=org_a, name="Draft", audience_filter={"city": "Burbank"}
    )
    # Whom it would go to: Dee is a client, whom a campaign naming no status never emails.
    assert names(client_a, in_campaign=draft.pk) == ["Cy"]
    sequence = make_sequence(org_a, account_a)
    Campaign.objects.filter(pk=sequence.pk).update(status=Campaign.Status.ACTIVE)
    MessageLog.objects.create(
        organization=org_a, campaign=sequence, lead=leads["Ana"], to_email="ana@example.com"
    )
    Enrollment.objects.create(
        organization=org_a, campaign=sequence, lead=leads["Ben"], started_at=sequence.created_at
    )
    MessageLog.objects.create(
        organization=org_a, campaign=sequence, lead=leads["Cy"], is_test=True, to_email="x@y.z"
    )
    assert names(client_a, in_campaign=sequence.pk) == ["Ana", "Ben"]
    # Another agency's campaign, or no campaign at all, lists nobody.
    assert names(client_a, in_campaign=campaign_b.pk) == []
    assert names(client_a, in_campaign="not-an-id") == []
