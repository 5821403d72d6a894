"""Every export offers a CSV or an XLSX file only, its columns as checkboxes, and a plain
"Export" button."""

import re

import pytest
from django.urls import reverse

EXPORTS = [
    "admin:crm_lead_export",
    "admin:campaigns_campaign_export",
    "admin:campaigns_messagelog_export",
]


@pytest.mark.parametrize("url_name", EXPORTS)
def test_the_export_page_offers_csv_and_xlsx_columns_and_an_export_button(client_a, url_name):
    page = client_a.get(reverse(url_name)).content.decode()
    formats = re.findall(r'<input[^>]*type="radio"[^>]*name="format"[^>]*>', page)
    assert len(formats) == 2 and "checked" in formats[0]
    assert "CSV (opens in any spreadsheet)" in page and "Excel workbook (.xlsx)" in page
    for other in ("json", "yaml", "tsv", "ods", "html", "xls<"):
        assert f">{other}" not in page.lower()
    assert len(re.findall(r'type="checkbox"', page)) >= 3
    assert re.search(r"<button[^>]*>\s*<span[^>]*>download</span>\s*Export\s*</button>", page)
    assert "Submit" not in page and "This exporter will export" not in page


def test_an_unticked_column_is_left_out_of_the_file(client_a, lead_a):
    response = client_a.post(
        reverse("admin:crm_lead_export"),
        {"format": "0", "resource": "0", "leadresource_name": "on"},
    )
    assert response.content.decode().splitlines() == ["name", "Ana Souza"]


def test_a_third_format_is_refused(client_a, lead_a):
    response = client_a.post(
        reverse("admin:crm_lead_export"),
        {"format": "2", "resource": "0", "leadresource_name": "on"},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
