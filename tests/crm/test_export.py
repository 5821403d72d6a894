"""Exported cells that a spreadsheet would run as formulas are neutralised."""

import pytest
from django.urls import reverse

from crm.models import Lead


@pytest.mark.parametrize(
    "hostile", ['=HYPERLINK("http://evil","x")', "+1", "-2+3", "@SUM(1)", "\t=1", "\r=1"]
)
def test_formula_cells_are_prefixed_with_a_quote(client_a, org_a, hostile):
    Lead.objects.create(organization=org_a, name=hostile, email="f@example.com")
    response = client_a.post(
        reverse("admin:crm_lead_export"),
        {"format": "0", "resource": "0", "leadresource_name": "on", "leadresource_email": "on"},
    )
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    cell = body.splitlines()[1] if "\r" not in hostile else body.split("\r\n", 1)[1]
    assert cell.lstrip('"').startswith("'")


def test_ordinary_values_are_exported_unchanged(client_a, lead_a):
    response = client_a.post(
        reverse("admin:crm_lead_export"),
        {"format": "0", "resource": "0", "leadresource_name": "on", "leadresource_email": "on"},
    )
    assert "Ana Souza,ana@example.com" in response.content.decode()
