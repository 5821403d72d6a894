"""The leads list writes a lead's budget in the agency's currency and language, as the
property page writes prices: "$500,000 to $700,000" (an en dash), "from $500,000",
"up to $700,000"; the lead's page names the budget's bounds in words and in that currency."""

import re

from django.urls import reverse

from campaigns.content.formats import budget_text
from crm.models import Lead


def budget_cells(client) -> list[str]:
    page = client.get(reverse("admin:crm_lead_changelist")).content.decode()
    return [
        cell.strip()
        for cell in re.findall(r'<td class="field-budget[^"]*"[^>]*>(.*?)</td>', page, re.S)
    ]


def test_the_leads_list_writes_budgets_in_the_agencys_currency(client_a, org_a):
    for name, low, high in (
        ("Ana", 500_000, 700_000),
        ("Bo", 500_000, None),
        ("Cy", None, 700_000),
        ("Di", None, None),
    ):
        Lead.objects.create(
            organization=org_a,
            name=name,
            email=f"{name}@example.com",
            budget_min=low,
            budget_max=high,
        )
    assert sorted(budget_cells(client_a)) == sorted(
        ["$500,000 – $700,000", "from $500,000", "up to $700,000", "–"]
    )


def test_a_french_agency_reads_euros_as_the_french_write_them(org_a):
    org_a.language, org_a.country, org_a.currency = "fr", "FR", "EUR"
    org_a.save()
    assert budget_text(500_000, 700_000, org_a) == "500\u202f000\xa0€ – 700\u202f000\xa0€"


def test_the_lead_page_names_the_budgets_bounds_in_words_and_currency(client_a, lead_a):
    page = client_a.get(reverse("admin:crm_lead_change", args=[lead_a.pk])).content.decode()
    assert ">Budget from<" in page and ">Budget up to<" in page
    assert "Budget min" not in page and "Budget max" not in page
    assert page.count("In USD, whole units: $500,000.") == 2
