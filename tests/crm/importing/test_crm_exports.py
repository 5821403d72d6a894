"""Each CRM's export, as its users get it (Windows-1252 from Excel, or a workbook), with
its own header and messy values: every field of every lead is checked, and every row
refused or changed is named by line and column."""

import pytest

from crm.importing.lead_import import leads_import
from crm.models import Lead, full_name
from tests.crm.importing.crm_files import FILES, CrmFile


def fields_of(lead: Lead) -> dict:
    return {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "phone": lead.phone,
        "city": lead.city,
        "status": lead.status,
        "budget_min": lead.budget_min,
        "budget_max": lead.budget_max,
        "source": lead.source,
        "tags": sorted(tag.name for tag in lead.tags.all()),
        "custom": lead.custom,
        "owner": lead.owner.username if lead.owner else None,
    }


def check_every_lead(organization, crm_file: CrmFile) -> None:
    found = {lead.email.lower(): lead for lead in Lead.objects.filter(organization=organization)}
    assert sorted(found) == sorted(crm_file.leads)
    for email, expected in crm_file.leads.items():
        lead = found[email]
        assert fields_of(lead) == {**expected, "tags": sorted(expected["tags"])}, email
        assert lead.name == full_name(expected["first_name"], expected["last_name"])


@pytest.mark.parametrize("crm_file", FILES, ids=lambda crm_file: crm_file.crm)
@pytest.mark.parametrize("form", ["windows-1252", "xlsx"])
def test_a_crm_export_imports_every_field_of_every_lead(org_a, maria, tom, crm_file, form):
    data = crm_file.csv("cp1252") if form == "windows-1252" else crm_file.xlsx()
    report = leads_import(organization=org_a, data=data)
    check_every_lead(org_a, crm_file)
    assert {error.line: error.column for error in report.errors} == crm_file.refused
    assert sorted((change.line, change.column) for change in report.changes) == sorted(
        crm_file.changed
    )
    assert (report.created, report.rejected) == (len(crm_file.leads), len(crm_file.refused))
    expected_read = "Windows-1252" if form == "windows-1252" else f"sheet “{crm_file.crm}”"
    assert expected_read in report.read_as


def test_importing_the_same_export_again_changes_nothing(org_a, maria, tom):
    crm_file = FILES[0]
    leads_import(organization=org_a, data=crm_file.csv())
    again = leads_import(organization=org_a, data=crm_file.xlsx())
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(crm_file.leads))
    check_every_lead(org_a, crm_file)


def test_each_change_says_what_was_read_and_why(org_a, maria, tom):
    report = leads_import(organization=org_a, data=FILES[0].csv())
    assert sorted(str(change) for change in report.changes) == [
        "line 6, Assigned To: no agent named “Nobody Here” in Sunset Realty: imported "
        "without an agent",
        "line 6, Phone 1: “call after 5” is not a phone number in US: kept as written",
        "line 8, Stage: “Kids of Closed Clients” is not a status we know: the status is left "
        "as it is (New for a new lead)",
    ]
    assert [str(error) for error in report.errors] == [
        "line 7, Email 1: “not-an-email” is not a valid email address"
    ]
    assert report.skipped_columns == ["Name (the file has first and last name columns)"]
