"""The import's agent column: each lead's agent named by the member's email address or name,
in any case; a cell that names nobody of the agency (or several) is reported by its line,
and the row is imported without an agent all the same."""

from io import StringIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from crm.importing.lead_import import leads_import
from crm.models import Lead
from crm.owners import AMBIGUOUS_AGENT, NO_AGENT
from tests.conftest import make_agent


def run(org, text: str, **kwargs):
    return leads_import(organization=org, data=text.encode(), **kwargs)


def owner_of(email: str):
    return Lead.objects.get(email=email).owner


def test_an_agent_is_matched_by_their_email_address_in_any_case(org_a, maria):
    report = run(org_a, "name,email,agent\nAna,ana@example.com,MARIA@Example.com\n")
    assert (report.created, report.changes) == (1, [])
    assert owner_of("ana@example.com") == maria


def test_an_agent_is_matched_by_their_full_name_first_name_or_username(org_a, maria, tom):
    report = run(
        org_a,
        "name,email,Owner\n"
        "Ana,ana@example.com,maria  lopez\n"
        "Ben,ben@example.com,Tom\n"
        "Cid,cid@example.com,maria\n",
    )
    assert report.changes == []
    assert [owner_of(f"{n}@example.com") for n in ("ana", "ben", "cid")] == [maria, tom, maria]


def test_a_name_two_members_share_is_refused_and_the_lead_imported_without_an_agent(org_a, tom):
    make_agent("tom2", org_a, "Tom", "Hardy")
    report = run(org_a, "name,email,agent\nAna,ana@example.com,tom\n")
    assert report.created == 1 and report.rejected == 0
    assert owner_of("ana@example.com") is None
    [warning] = report.changes
    assert (warning.line, warning.column) == (2, "agent")
    assert warning.message == AMBIGUOUS_AGENT.format(value="tom", names="Tom Baker or Tom Hardy")


def test_an_unknown_agent_is_named_with_its_line_and_the_row_still_imports(org_a, maria):
    report = run(
        org_a,
        "name,email,city,agent\n"
        "Ana,ana@example.com,LA,maria@example.com\n"
        "Ben,ben@example.com,Pasadena,Marie\n",
    )
    assert (report.created, report.rejected, report.change_count) == (2, 0, 1)
    assert str(report.changes[0]) == "line 3, agent: " + NO_AGENT.format(
        value="Marie", organization="Sunset Realty"
    )
    ben = Lead.objects.get(email="ben@example.com")
    assert (ben.city, ben.owner) == ("Pasadena", None)
    assert report.summary().endswith("0 rejected. 1 value left out or changed.")


def test_a_member_of_another_agency_is_not_an_agent_here(org_a, staff_b):
    report = run(org_a, "name,email,agent\nAna,ana@example.com,bob@example.com\n")
    assert owner_of("ana@example.com") is None
    assert report.changes[0].message == NO_AGENT.format(
        value="bob@example.com", organization="Sunset Realty"
    )


def test_an_import_changes_an_existing_leads_agent_and_an_empty_cell_keeps_it(
    org_a, lead_a, maria, tom
):
    Lead.objects.filter(pk=lead_a.pk).update(owner=maria)
    report = run(org_a, "email,agent\nana@example.com,\n")
    assert (report.updated, report.unchanged) == (0, 1)
    report = run(org_a, "email,agent\nana@example.com,tom@example.com\n")
    assert report.updated == 1
    assert owner_of("ana@example.com") == tom


def test_the_admin_preview_lists_the_rows_imported_without_their_agent(client_a, org_a):
    upload = SimpleUploadedFile(
        "leads.csv", b"name,email,agent\nAna,ana@example.com,Marie\n", "text/csv"
    )
    response = client_a.post(
        reverse("admin:crm_lead_import"), {"organization": org_a.pk, "file": upload}, follow=True
    )
    page = response.content.decode()
    assert 'id="import-changes"' in page
    assert "no agent named “Marie” in Sunset Realty" in page
    assert 'data-testid="created">1<' in page
    confirmed = client_a.post(response.request["PATH_INFO"], {"confirm": "1"}, follow=True)
    notes = [str(message) for message in confirmed.context["messages"]]
    assert notes[-1].startswith("1 value was left out or changed: line 2, agent: no agent")
    assert Lead.objects.get().owner is None


def test_the_command_line_names_the_line_of_an_unknown_agent(org_a, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,email,agent\nAna,ana@example.com,Marie\n")
    err = StringIO()
    call_command("import_leads", str(path), "--org", "sunset", stdout=StringIO(), stderr=err)
    assert f"{path}: line 2, agent: no agent named “Marie”" in err.getvalue()
    assert Lead.objects.filter(email="ana@example.com", owner__isnull=True).exists()
