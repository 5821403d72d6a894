"""What comes in as a lead can be sent to and exported (issue 24 §2): a control character in
a name (`"Vera\\x0bTab"`) is refused by the form and becomes a space in an import, and one
already stored does not break the XLSX exports; an address with an international domain is
taken, one whose domain has no IDNA form is refused where it is typed, with the reason."""

import io

import openpyxl
import pytest
from django.urls import reverse

from crm.email_addresses import NOT_SENDABLE
from crm.importing.lead_import import leads_import
from crm.models import Lead
from crm.plain_text import CONTROL_CHARACTER
from crm.site.export_admin import FORMATS

VERA = "Vera\x0bTab"
NO_IDNA_FORM = "snow@a☃.example"


def add_lead(client, **fields):
    data = {"status": "new", "consent_basis": "unknown", **fields}
    return client.post(reverse("admin:crm_lead_add"), data)


def test_the_lead_form_refuses_a_control_character_in_a_name(client_a):
    response = add_lead(client_a, first_name=VERA, email="vera@example.com")
    assert response.status_code == 200
    assert CONTROL_CHARACTER.format(code="U+000B") in response.content.decode()
    assert not Lead.objects.exists()


@pytest.mark.parametrize("column", ["last_name", "city", "phone", "source"])
def test_the_lead_form_refuses_control_characters_in_other_one_line_fields(client_a, column):
    response = add_lead(client_a, first_name="Vera", email="vera@example.com", **{column: "a\x1bb"})
    assert response.status_code == 200
    assert CONTROL_CHARACTER.format(code="U+001B") in response.content.decode()
    assert not Lead.objects.exists()


def test_the_import_turns_a_control_character_into_a_space(org_a):
    """A tab or a line break inside a spreadsheet cell is no reason to lose the row."""
    data = f"name,email,city\n{VERA},vera@example.com,Los\x0bAngeles\n"
    report = leads_import(organization=org_a, data=data.encode())
    assert (report.created, report.errors) == (1, [])
    vera = Lead.objects.get()
    assert (vera.first_name, vera.last_name, vera.name, vera.city) == (
        "Vera",
        "Tab",
        "Vera Tab",
        "Los Angeles",
    )


def test_an_international_domain_is_taken_by_the_form_and_the_import(client_a, org_a):
    assert add_lead(client_a, first_name="Idn", email="idn@bücher.example").status_code == 302
    report = leads_import(organization=org_a, data="name,email\nM,m@münchen.de\n".encode())
    assert (report.created, report.errors) == (1, [])


def test_a_domain_without_an_idna_form_is_refused_with_the_reason(client_a, org_a):
    response = add_lead(client_a, first_name="Snow", email=NO_IDNA_FORM)
    assert response.status_code == 200
    assert "cannot be written for email (IDNA)" in response.content.decode()
    data = f"name,email\nAna,ana@example.com\nSnow,{NO_IDNA_FORM}\n"
    report = leads_import(organization=org_a, data=data.encode())
    assert report.created == 1
    [error] = report.errors
    assert (error.line, error.column) == (3, "email")
    assert error.message.startswith(NOT_SENDABLE.split(":")[0].format(value=NO_IDNA_FORM))
    assert "cannot be written for email (IDNA)" in error.message
    assert not Lead.objects.filter(email=NO_IDNA_FORM).exists()


def xlsx(client, url, data):
    titles = [str(f().get_title()) for f in FORMATS]
    response = client.post(url, {"format": str(titles.index("xlsx")), **data})
    assert response.status_code == 200, response.content[:300]
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def test_a_control_character_already_stored_does_not_break_the_xlsx_exports(
    client_a, org_a, message_a
):
    """Made before input refused them (objects.create does not validate)."""
    Lead.objects.filter(pk=message_a.lead_id).update(name=VERA)
    leads = xlsx(
        client_a,
        reverse("admin:crm_lead_export"),
        {"resource": "0", "leadresource_name": "on", "leadresource_email": "on"},
    )
    assert [row[0].value for row in leads.iter_rows(min_row=2)] == ["Vera\ufffdTab"]
    messages = xlsx(
        client_a,
        reverse("admin:campaigns_messagelog_export"),
        {"resource": "0", "messagelogresource_lead": "on"},
    )
    assert [row[0].value for row in messages.iter_rows(min_row=2)] == ["Vera\ufffdTab"]
