"""Exported cells that a spreadsheet would run as formulas are neutralised; phone numbers
are left as they were typed."""

import io

import openpyxl
import pytest
from django.urls import reverse

from crm.models import Lead
from crm.site.export_admin import FORMATS


@pytest.mark.parametrize(
    "hostile",
    [
        '=HYPERLINK("http://evil","x")',
        "+1",
        "+1+1",
        "+1 (2)",
        "+1234567*9",
        "+1 310 555 0106\n=1",
        "-2+3",
        "-1 (310) 555-0106",
        "@SUM(1)",
        "\t=1",
        "\r=1",
    ],
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


PHONES = ["+1 (310) 555-0106", "+33 1 42 68 53 00", "+44.20.7946.0958", "+13105550106"]


def export_phones(client, file_format: str):
    titles = [str(f().get_title()) for f in FORMATS]
    return client.post(
        reverse("admin:crm_lead_export"),
        {
            "format": str(titles.index(file_format)),
            "resource": "0",
            "leadresource_email": "on",
            "leadresource_phone": "on",
        },
    )


def test_phone_numbers_are_exported_as_typed_in_csv_and_xlsx(client_a, org_a):
    for n, phone in enumerate(PHONES):
        Lead.objects.create(
            organization=org_a, name=f"P{n}", email=f"p{n}@example.com", phone=phone
        )
    body = export_phones(client_a, "csv").content.decode()
    for phone in PHONES:
        assert f",{phone}\r\n" in body
    assert "'+" not in body
    sheet = openpyxl.load_workbook(io.BytesIO(export_phones(client_a, "xlsx").content)).active
    assert sorted(row[1].value for row in sheet.iter_rows(min_row=2)) == sorted(PHONES)
