"""A consent column of an imported file becomes each lead's consent basis and date, kept as
a consent record naming the file and the line; an unknown word is refused with its line."""

import datetime

import pytest

from crm import consent
from crm.importing import mapping
from crm.importing.lead_import import leads_import
from crm.models import ConsentBasis, ConsentRecord, Lead

FILE = (
    "name,email,consent,consent date\n"
    "Ana,ana@example.com,Opted in,2026-03-02\n"
    "Ben,ben@example.com,Enquiry,3/14/2026\n"
    "Cleo,cleo@example.com,,\n"
    "Dan,dan@example.com,maybe,\n"
)


def test_the_consent_column_is_kept_with_the_file_and_line(org_a):
    report = leads_import(organization=org_a, data=FILE.encode(), source_name="leads.csv")
    assert report.created == 3 and report.rejected == 1
    assert str(report.errors[0]) == (
        "line 5, consent: “maybe” is not a consent basis "
        "(express, enquiry, client, purchased, unknown)"
    )
    ana = Lead.objects.get(email="ana@example.com")
    assert (ana.consent_basis, ana.consent_date) == (
        ConsentBasis.EXPRESS,
        datetime.date(2026, 3, 2),
    )
    record = ConsentRecord.objects.get(lead=ana)
    assert (record.source, record.source_detail) == (
        ConsentRecord.Source.IMPORT,
        "leads.csv, line 2",
    )
    assert Lead.objects.get(email="ben@example.com").consent_date == datetime.date(2026, 3, 14)
    assert Lead.objects.get(email="cleo@example.com").consent_basis == ConsentBasis.UNKNOWN
    assert ConsentRecord.objects.count() == 2


def test_importing_the_same_consent_again_records_nothing_new(org_a):
    leads_import(organization=org_a, data=FILE.encode())
    leads_import(organization=org_a, data=FILE.encode())
    assert ConsentRecord.objects.count() == 2
    changed = FILE.replace("Enquiry,3/14/2026", "Client,4/1/2026")
    leads_import(organization=org_a, data=changed.encode(), source_name="again.csv")
    ben = Lead.objects.get(email="ben@example.com")
    assert list(ben.consent_records.values_list("basis", "source_detail")) == [
        ("client", "again.csv, line 3"),
        ("enquiry", "import, line 3"),
    ]


@pytest.mark.parametrize(
    ("words", "basis"),
    [
        ("Yes", "express"),
        ("double opt-in", "express"),
        ("Inquiry", "enquiry"),
        ("Past client", "client"),
        ("purchased list", "purchased"),
        ("No", "unknown"),
    ],
)
def test_consent_words_as_crms_write_them(words, basis):
    assert consent.read_basis(words) == basis


def test_the_mapping_step_offers_consent_columns():
    found = mapping.automatic(["Email", "Email Opt-In", "Consent Date"])
    assert [column.target for column in found.columns] == ["email", "consent", "consent_date"]
