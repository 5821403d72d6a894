"""Importing a suppression list: valid addresses added, bad rows named, per organization."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Lead, SuppressedAddress
from crm.suppression import is_suppressed, suppress, suppressed_leads

URL = reverse("admin:crm_suppressedaddress_import")
FILE = (
    "Email Address;First Name\n"
    "Old@Example.com;Olga\n"
    "new@example.com;Nina\n"
    "NEW@example.com;Nina again\n"
    "not-an-address;Bad\n"
    ";Empty\n"
    "other@example.org;Otto\n"
).encode("utf-8-sig")


def upload(client, org, data=FILE, name="unsubscribed.csv"):
    return client.post(
        URL, {"organization": org.pk, "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def test_valid_addresses_are_added_and_bad_rows_named_by_line(client_a, org_a, org_b):
    suppress(organization=org_a, email="old@example.com", reason="unsubscribed")
    lead = Lead.objects.create(organization=org_a, name="Otto", email="Other@Example.org")
    response = upload(client_a, org_a)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="added">2<' in page
    assert 'data-testid="already">2<' in page  # old@ was listed, NEW@ repeats new@
    assert 'data-testid="rejected">2<' in page
    errors = [(e.line, e.message) for e in response.context["errors"]]
    assert errors == [(5, "“not-an-address” is not a valid email address"), (6, "is empty")]
    listed = SuppressedAddress.objects.filter(organization=org_a)
    assert sorted(listed.values_list("email", flat=True)) == [
        "new@example.com",
        "old@example.com",
        "other@example.org",
    ]
    # The entry made by the unsubscribe keeps its reason; the imported ones say where from.
    assert listed.get(email="old@example.com").reason == "unsubscribed"
    assert listed.get(email="new@example.com").detail.startswith("imported from unsubscribed.csv")
    assert not SuppressedAddress.objects.filter(organization=org_b).exists()
    assert is_suppressed(org_a.pk, "OTHER@example.org")
    assert Lead.objects.filter(suppressed_leads(), pk=lead.pk).exists()
    # Again: nothing more is added.
    page = upload(client_a, org_a).content.decode()
    assert 'data-testid="added">0<' in page and 'data-testid="already">4<' in page


def test_a_file_without_an_email_column_is_refused_whole(client_a, org_a):
    response = upload(client_a, org_a, data=b"name,phone\nAna,123\n")
    assert "The header has no email column (found: name, phone)." in response.content.decode()
    assert not SuppressedAddress.objects.exists()


def test_staff_cannot_import_into_another_agency(client_a, org_b):
    response = upload(client_a, org_b)
    assert response.status_code == 200 and response.context["form"].errors["organization"]
    assert not SuppressedAddress.objects.exists()


def test_the_upload_page_is_reached_from_the_list(client_a):
    page = client_a.get(reverse("admin:crm_suppressedaddress_changelist")).content.decode()
    assert URL in page or "import-csv" in page
    assert client_a.get(URL).status_code == 200
