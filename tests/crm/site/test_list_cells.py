"""Lists read as words: one dash for every empty cell, a count that counts every member,
and the row checkbox labelled "Select" (a phone shows each cell's label above it)."""

import re

from django.urls import reverse

from crm.models import Lead
from tests.conftest import make_staff


def test_the_organizations_list_counts_every_member(client_a, org_a, staff_a):
    make_staff("bob", org_a, role="agent")
    page = client_a.get(reverse("admin:crm_organization_changelist")).content.decode()
    cell = re.search(r'<td class="field-member_count[^"]*"[^>]*>(.*?)</td>', page, re.S)
    assert cell is not None and cell.group(1).strip() == "2"


def test_an_empty_cell_is_one_dash_on_every_list(client_a, org_a, campaign_a):
    Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com")
    for name in ("crm_lead", "campaigns_campaign", "campaigns_messagelog", "crm_property"):
        page = client_a.get(reverse(f"admin:{name}_changelist")).content.decode()
        cells = re.findall(r"<td[^>]*>\s*(-|—)\s*</td>", page)
        assert cells == [], name
    leads = client_a.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert re.search(r"<td[^>]*>\s*–\s*</td>", leads)  # Ana has no city, no phone


def test_the_row_checkbox_is_labelled_select(client_a, lead_a):
    page = client_a.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert 'data-label="Select"' in page
    assert 'data-label="Select record"' not in page
