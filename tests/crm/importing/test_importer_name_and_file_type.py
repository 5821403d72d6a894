"""One name for the importer ("Import leads" in the sidebar, on the list and on the page);
its file picker asks for a CSV file, and another kind of file is told apart at once."""

import html
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.importing.import_views import IMPORT_LEADS, NOT_CSV
from crm.importing.tables import NOT_A_TABLE
from crm.models import Lead

URL = reverse("admin:crm_lead_import")


def test_the_sidebar_the_list_and_the_page_call_it_import_leads(client_a):
    sidebar = [
        item["title"]
        for group in settings.UNFOLD["SIDEBAR"]["navigation"]
        for item in group["items"]
        if str(item["link"]) == URL
    ]
    assert sidebar == [IMPORT_LEADS] and str(IMPORT_LEADS) == "Import leads"
    listing = client_a.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert "Import leads" in listing and "Import CSV" not in listing
    page = client_a.get(URL)
    assert page.context["title"] == IMPORT_LEADS
    assert re.search(r"<title>\s*Import leads\b", page.content.decode())


def test_the_file_picker_asks_for_a_csv_file_or_a_workbook(client_a):
    page = client_a.get(URL).content.decode()
    assert re.search(r'<input[^>]*type="file"[^>]*accept="\.csv,\.txt,\.tsv,\.xlsx,text/csv"', page)


@pytest.mark.parametrize(
    "name, data, message",
    [
        (
            "leads.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            NOT_A_TABLE.format(kind="an old Excel .xls file or a password-protected workbook"),
        ),
        ("scan.pdf", b"%PDF-1.7\n", NOT_A_TABLE.format(kind="a PDF")),
        ("photo.png", b"\x89PNG\r\n\x1a\n", NOT_A_TABLE.format(kind="an image")),
        (
            "notes.docx.csv",
            b"{\\rtf1\\ansi",
            NOT_A_TABLE.format(kind="a Word or RTF document"),
        ),
        ("leads.numbers", b"name,email\nAna,ana@example.com\n", NOT_CSV),
        ("leads.xlsx", b"PK\x03\x04\x14\x00\x06\x00", "This .xlsx file cannot be read"),
    ],
)
def test_another_kind_of_file_is_told_apart(client_a, org_a, name, data, message):
    upload = SimpleUploadedFile(name, data, "application/octet-stream")
    response = client_a.post(URL, {"organization": org_a.pk, "file": upload})
    page = html.unescape(response.content.decode())
    assert str(message) in page
    assert response.status_code == 200 and not Lead.objects.exists()


@pytest.mark.parametrize("name", ["leads.txt", "leads.tsv"])
def test_a_csv_file_under_a_txt_or_tsv_name_is_read(client_a, org_a, name):
    data = b"name\temail\nAna\tana@example.com\n"
    upload = SimpleUploadedFile(name, data, "text/plain")
    response = client_a.post(URL, {"organization": org_a.pk, "file": upload}, follow=True)
    assert response.context["report"].created == 1
