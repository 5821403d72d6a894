"""The admin import: upload, the mapping step with its preview (nothing written), confirm;
the agency's mapping remembered for the next file with the same header."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from crm.importing.import_views import FILE_TOO_LARGE, IMPORT_EXPIRED
from crm.models import Lead, LeadImport
from tests.conftest import logged_in

URL = reverse("admin:crm_lead_import")
GOOD = b"name,email,status\nAna,ana@example.com,new\nBen,ben@,hot\nCid,cid@example.com,smoking\n"


def upload(client, org, data=GOOD, name="leads.csv"):
    return client.post(
        URL, {"organization": org.pk, "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def job_url(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def mapping_post(page, **changes) -> dict:
    """The mapping form as the page shows it, with some choices changed."""
    form = page.context["mapping_form"]
    data = {name: form[name].initial or form.fields[name].initial for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    return {**data, **changes}


def test_the_preview_counts_and_lists_problems_and_writes_nothing(client_a, org_a):
    page = client_a.get(job_url(upload(client_a, org_a)))
    text = page.content.decode()
    assert 'data-testid="created">2<' in text
    assert 'data-testid="rejected">1<' in text
    assert 'data-testid="changed">1<' in text
    assert "“ben@” is not a valid email address" in text
    assert "“smoking” is not a status we know" in text
    assert not Lead.objects.exists()


def test_confirming_imports_the_good_rows_and_reports_the_bad_ones(client_a, org_a):
    url = job_url(upload(client_a, org_a))
    response = client_a.post(url, {"confirm": "1"}, follow=True)
    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "ana@example.com",
        "cid@example.com",
    ]
    notes = messages_of(response)
    assert notes[0] == (
        "Imported 3 rows: 2 new, 0 updated, 0 unchanged, 1 rejected. 1 value left out or changed."
    )
    assert notes[1].startswith("1 row was not imported: line 3, email:")
    assert notes[2].startswith("1 value was left out or changed: line 4, status: “smoking”")


def test_a_confirmation_works_once(client_a, org_a):
    url = job_url(upload(client_a, org_a))
    client_a.post(url, {"confirm": "1"})
    response = client_a.post(url, {"confirm": "1"}, follow=True)
    assert str(IMPORT_EXPIRED) in messages_of(response)
    assert Lead.objects.count() == 2


def test_another_agencys_staff_cannot_see_or_confirm_an_import(client_a, org_a, staff_b):
    url = job_url(upload(client_a, org_a))
    other = logged_in(staff_b)
    assert other.get(url).status_code == 404
    assert other.post(url, {"confirm": "1"}).status_code == 404
    assert not Lead.objects.exists()


def test_staff_cannot_import_into_another_organization(client_a, org_b):
    response = upload(client_a, org_b)
    assert "Select a valid choice" in response.content.decode()
    assert not LeadImport.objects.exists() and not Lead.objects.exists()


def test_a_broken_file_is_a_form_error(client_a, org_a):
    response = upload(client_a, org_a, b"name,email\nAna,ana\x00@example.com\n", "leads.csv")
    assert "looks like a binary file, not a CSV" in response.content.decode()
    assert not LeadImport.objects.exists()


@override_settings(LEAD_IMPORT_MAX_BYTES=1024 * 1024)
def test_a_file_over_the_size_limit_is_refused(client_a, org_a):
    response = upload(client_a, org_a, b"name,email\n" + b"x" * (1024 * 1024 + 1))
    assert FILE_TOO_LARGE.format(limit=1) in response.content.decode()


CRM = (
    b"First Name,Last Name,E-mail,Stage,Favourite colour,Referred by\n"
    b"Ana,Souza,ana@example.com,Trash,blue,Tom\n"
    b"Ben,Cole,ben@example.com,Kids of Closed Clients,,\n"
    b"Cid,Moreau,cid@example.com,Trash,red,\n"
)


def test_the_mapping_step_shows_each_column_with_its_first_values_and_where_it_goes(
    client_a, org_a
):
    page = client_a.get(job_url(upload(client_a, org_a, CRM)))
    text = page.content.decode()
    columns = re.findall(r'data-column="([^"]*)"', text)
    assert columns == ["First Name", "Last Name", "E-mail", "Stage", "Favourite colour",
                       "Referred by"]  # fmt: skip
    assert "blue · red" in text
    assert "lead.custom.favourite_colour" in text
    # Each status value with how many rows hold it, and what it becomes.
    assert re.search(r"Stage: “Trash” \(2 rows\)", text)
    assert re.search(r"Stage: “Kids of Closed Clients” \(1 row\)", text)
    form = page.context["mapping_form"]
    statuses = {row["value"]: form[row["field"]].initial for row in form.statuses}
    assert statuses == {"Trash": "lost", "Kids of Closed Clients": ""}


def test_staff_change_the_mapping_preview_again_and_the_agency_keeps_it_for_the_next_file(
    client_a, org_a
):
    url = job_url(upload(client_a, org_a, CRM))
    page = client_a.get(url)
    form = page.context["mapping_form"]
    kids = next(row["field"] for row in form.statuses if row["value"] == "Kids of Closed Clients")
    colour = next(row["field"] for row in form.rows if row["column"].header == "Favourite colour")
    data = mapping_post(page, **{kids: "client", colour: "skip"})
    response = client_a.post(url, data, follow=True)
    text = response.content.decode()
    # The column nobody maps is named before confirming, with the problems.
    assert "Columns not imported:</strong> Favourite colour." in text
    assert 'data-testid="changed">0<' in text
    response = client_a.post(url, {"confirm": "1"}, follow=True)
    assert "Columns not imported: Favourite colour." in messages_of(response)[0]
    leads = {lead.email: lead for lead in Lead.objects.all()}
    assert (leads["ben@example.com"].status, leads["ana@example.com"].status) == ("client", "lost")
    assert leads["ana@example.com"].custom == {"referred_by": "Tom"}

    # The next file with the same header is mapped the same way.
    again = client_a.get(job_url(upload(client_a, org_a, CRM.replace(b"Ana", b"Anna"))))
    assert "Mapped as your last file with these columns." in again.content.decode()
    form = again.context["mapping_form"]
    statuses = {row["value"]: form[row["field"]].initial for row in form.statuses}
    assert statuses["Kids of Closed Clients"] == "client"
    assert again.context["report"].skipped_columns == ["Favourite colour"]


def test_a_workbook_is_read_from_its_first_sheet_and_another_sheet_can_be_chosen(client_a, org_a):
    from tests.crm.importing.crm_files import LOFTY

    url = job_url(upload(client_a, org_a, LOFTY.xlsx(), "lofty.xlsx"))
    page = client_a.get(url)
    text = page.content.decode()
    assert "Read as Excel workbook, sheet “Lofty”." in text
    assert page.context["report"].created == len(LOFTY.leads)
    form = page.context["mapping_form"]
    assert [name for name, _ in form.fields["sheet"].choices] == ["Lofty", "Notes"]
    response = client_a.post(url, mapping_post(page, sheet="Notes"), follow=True)
    # The other sheet has no email column: said, and the file can be uploaded again.
    assert "No column goes to Email" in response.content.decode()
    assert not Lead.objects.exists()


def test_the_upload_page_lists_my_agencys_recent_imports_to_come_back_to(client_a, org_a, org_b):
    from crm.models import LeadImport

    mine = LeadImport.objects.create(organization=org_a, file_name="big.csv", progress=0.3)
    LeadImport.objects.create(organization=org_b, file_name="theirs.csv")
    page = client_a.get(URL).content.decode()
    assert reverse("admin:crm_lead_import_job", args=[mine.pk]) in page
    assert "Reading the file (30%)" in page and "theirs.csv" not in page
