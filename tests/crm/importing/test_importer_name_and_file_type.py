"""One name for the importer ("Import leads" in the sidebar, on the list and on the page);
its file picker asks for a CSV file, and another kind of file is told apart at once."""

import html
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.importing.import_views import IMPORT_LEADS, NOT_CSV
from crm.models import Lead

URL = reverse("admin:crm_lead_import")


def test_the_sidebar_the_list_and_the_page_call_it_import_leads(client_a):
    sidebar = [
        item["title"]
        for group in settings.UNFOLD["SIDEBAR"]["navigation"]
        for item in group["items"]
        if str(item["link"]) == URL
    ]
    assert sidebar == [IMPORT_LEADS] == ["Import leads"]
    listing = client_a.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert "Import leads" in listing and "Import CSV" not in listing
    page = client_a.get(URL)
    assert page.context["title"] == IMPORT_LEADS
    assert re.search(r"<title>\s*Import leads\b", page.content.decode())


def test_the_file_picker_asks_for_a_csv_file(client_a):
    page = client_a.get(URL).content.decode()
    assert re.search(r'<input[^>]*type="file"[^>]*accept="\.csv,text/csv"', page)


@pytest.mark.parametrize(
    "name, data, kind",
    [
        (
            "leads.xlsx",
            b"PK\x03\x04\x14\x00\x06\x00",
            " (it looks like an Excel workbook or another zip file)",
        ),
        (
            "leads.csv",
            b"PK\x03\x04\x14\x00\x06\x00",
            " (it looks like an Excel workbook or another zip file)",
        ),
        (
            "leads.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            " (it looks like an old Excel .xls file)",
        ),
        ("scan.pdf", b"%PDF-1.7\n", " (it is a PDF)"),
        ("photo.png", b"\x89PNG\r\n\x1a\n", " (it is an image)"),
        ("notes.docx.csv", b"{\\rtf1\\ansi", " (it is a Word or RTF document)"),
        ("leads.numbers", b"name,email\nAna,ana@example.com\n", ""),
    ],
)
def test_another_kind_of_file_is_not_a_csv_file(client_a, org_a, name, data, kind):
    upload = SimpleUploadedFile(name, data, "application/octet-stream")
    response = client_a.post(URL, {"organization": org_a.pk, "file": upload})
    page = html.unescape(response.content.decode())
    assert NOT_CSV.format(kind=kind) in page
    assert "token" not in response.context and not Lead.objects.exists()


def test_a_csv_file_under_a_txt_name_is_read(client_a, org_a):
    upload = SimpleUploadedFile("leads.txt", b"name,email\nAna,ana@example.com\n", "text/plain")
    response = client_a.post(URL, {"organization": org_a.pk, "file": upload})
    assert response.context["report"].created == 1
