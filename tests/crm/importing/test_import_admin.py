"""The admin import: upload, preview (nothing written), confirm."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from crm.importing.import_views import FILE_TOO_LARGE, IMPORT_EXPIRED
from crm.models import Lead
from tests.conftest import logged_in

URL = reverse("admin:crm_lead_import")
GOOD = b"name,email,status\nAna,ana@example.com,new\nBen,ben@example.com,hot\n"


def upload(client, org, data=GOOD, name="leads.csv"):
    return client.post(
        URL, {"organization": org.pk, "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def test_the_preview_counts_and_lists_errors_and_writes_nothing(client_a, org_a):
    response = upload(client_a, org_a)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="created">1<' in page
    assert 'data-testid="rejected">1<' in page
    assert "“hot” is not one of" in page
    assert not Lead.objects.exists()


def test_confirming_imports_the_good_rows_and_reports_the_bad_ones(client_a, org_a):
    token = upload(client_a, org_a).context["token"]
    response = client_a.post(URL, {"token": token}, follow=True)
    assert [lead.email for lead in Lead.objects.filter(organization=org_a)] == ["ana@example.com"]
    notes = [str(message) for message in response.context["messages"]]
    assert notes[0] == "Imported 2 rows: 1 new, 0 updated, 0 unchanged, 1 rejected."
    assert notes[1].startswith("1 row was not imported: line 3, status:")


def test_a_confirmation_works_once(client_a, org_a):
    token = upload(client_a, org_a).context["token"]
    client_a.post(URL, {"token": token})
    response = client_a.post(URL, {"token": token}, follow=True)
    assert IMPORT_EXPIRED in [str(message) for message in response.context["messages"]]
    assert Lead.objects.count() == 1


def test_another_users_token_cannot_confirm_an_import(client_a, org_a, staff_b):
    token = upload(client_a, org_a).context["token"]
    response = logged_in(staff_b).post(URL, {"token": token}, follow=True)
    assert IMPORT_EXPIRED in [str(message) for message in response.context["messages"]]
    assert not Lead.objects.exists()


def test_staff_cannot_import_into_another_organization(client_a, org_b):
    response = upload(client_a, org_b)
    assert "Select a valid choice" in response.content.decode()
    assert "token" not in response.context
    assert not Lead.objects.exists()


def test_a_broken_file_is_a_form_error(client_a, org_a):
    response = upload(client_a, org_a, b"name,email\nAna,ana\x00@example.com\n", "leads.csv")
    assert "looks like a binary file, not a CSV" in response.content.decode()


@override_settings(LEAD_IMPORT_MAX_BYTES=1024 * 1024)
def test_a_file_over_the_size_limit_is_refused(client_a, org_a):
    response = upload(client_a, org_a, b"name,email\n" + b"x" * (1024 * 1024 + 1))
    assert FILE_TOO_LARGE.format(limit=1) in response.content.decode()
