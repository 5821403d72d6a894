"""The importer on good, bad and hostile files."""

import pytest

from crm.importing import csv_reading as importing
from crm.importing.csv_reading import CsvFileError
from crm.importing.lead_import import leads_import
from crm.importing.mapping import NO_EMAIL
from crm.importing.tables import NOT_A_TABLE
from crm.models import Lead

HEADER = "name,email,phone,city,status,budget_min,budget_max,source\n"


def run(org, text: str | bytes, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return leads_import(organization=org, data=data, **kwargs)


def test_it_creates_leads_from_a_good_file(org_a):
    report = run(
        org_a,
        HEADER + "Ana Souza,ana@example.com,555,Los Angeles,new,500000,700000,Zillow\n"
        "Ben Cole,ben@example.com,,Pasadena,qualified,,,\n",
    )
    assert (report.created, report.updated, report.errors) == (2, 0, [])
    ana = Lead.objects.get(email="ana@example.com")
    assert (ana.city, ana.budget_min, ana.budget_max, ana.source) == (
        "Los Angeles",
        500000,
        700000,
        "Zillow",
    )
    assert ana.organization == org_a


def test_it_updates_existing_leads_matched_by_email_in_any_case(org_a, lead_a):
    report = run(org_a, "Email,City,STATUS\nANA@EXAMPLE.com,Pasadena,Contacted\n")
    assert (report.created, report.updated) == (0, 1)
    lead_a.refresh_from_db()
    assert (lead_a.city, lead_a.status, lead_a.name) == ("Pasadena", "contacted", "Ana Souza")
    assert Lead.objects.count() == 1


def test_a_row_that_changes_nothing_counts_as_unchanged(org_a, lead_a):
    report = run(org_a, "name,email\nAna Souza,ana@example.com\n")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_a_row_without_a_usable_address_is_refused_and_bad_values_are_left_out_and_named(org_a):
    report = run(
        org_a,
        HEADER
        + "Good One,good1@example.com,,,,,,\n"  # line 2
        + "No At,not-an-email,,,,,,\n"  # line 3
        + "Hot Lead,hot@example.com,,,smoking,,,\n"  # line 4
        + "Inverted,inv@example.com,,,,900000,100000,\n"  # line 5
        + "Words,words@example.com,,,,about 1M,,\n"  # line 6
        + "Good Two,good2@example.com,,,,,,\n",  # line 7
    )
    assert (report.created, report.rejected) == (5, 1)
    assert [str(error) for error in report.errors] == [
        "line 3, email: “not-an-email” is not a valid email address"
    ]
    assert [str(change) for change in report.changes] == [
        "line 4, status: “smoking” is not a status we know: the status is left as it is "
        "(New for a new lead)",
        "line 5, budget_min: the budget from, 900,000, is more than the budget up to, 100,000: "
        "imported without a budget",
        "line 6, budget_min: “about 1M” is not an amount: imported without a budget from",
    ]
    assert Lead.objects.get(email="inv@example.com").budget_min is None
    assert Lead.objects.get(email="hot@example.com").status == "new"


def test_a_second_row_for_the_same_address_is_reported_not_merged(org_a):
    report = run(org_a, "name,email\nAna,ana@example.com\nAna B,ANA@example.com\n")
    assert report.created == 1
    assert str(report.errors[0]) == "line 3, email: ANA@example.com already appears on line 2"


def test_it_reads_semicolons_a_bom_and_first_and_last_names(org_a):
    data = "\ufeffFirst Name;Last Name;E-mail;Budget Max\nLéa;Moreau;lea@example.fr;1 100 000\n"
    report = run(org_a, data.encode("utf-8"))
    assert report.created == 1
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.budget_max) == ("Léa Moreau", "lea@example.fr", 1100000)


def test_unknown_columns_are_kept_as_custom_fields(org_a):
    report = run(org_a, "name,email,favourite colour\nAna,ana@example.com,blue\n")
    assert report.custom_columns == [("favourite colour", "favourite_colour")]
    assert Lead.objects.get().custom == {"favourite_colour": "blue"}


def test_a_dry_run_reports_without_writing(org_a):
    report = run(org_a, "name,email\nAna,ana@example.com\n", dry_run=True)
    assert report.created == 1
    assert not Lead.objects.exists()


def test_a_row_with_an_email_and_no_name_is_imported(org_a, lead_a):
    report = run(org_a, "email,city\nana@example.com,Paris\nnew@example.com,Paris\n")
    assert (report.updated, report.created, report.errors) == (1, 1, [])
    new = Lead.objects.get(email="new@example.com")
    assert (new.first_name, new.last_name, new.name) == ("", "", "")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", importing.EMPTY_FILE),
        (
            b"name,email\nAna,ana@example.com\nBad\x00row,x@example.com\n",
            importing.NUL_BYTE.format(line=3),
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", NOT_A_TABLE.format(kind="an image")),
        (b"name,email\n\x7fELF\x02\x01\x00\x00\n\x00", importing.NUL_BYTE.format(line=2)),
        (
            "name,email\nJos\xe9,jos\xe9@example.com\nAna,ana@example.com\n".encode()
            + "Zo\xeb,zoe@example.com\n".encode("cp1252"),
            importing.MIXED_UTF8.format(line=4),
        ),
        (
            b'name,email\nAna,ana@example.com\n"Unclosed,x@example.com\n',
            importing.BROKEN_CSV.format(line=3, reason="unexpected end of data"),
        ),
        (b"name,phone\nAna,555\n", NO_EMAIL),
    ],
    ids=["empty", "nul-byte", "image", "binary", "mixed-encodings", "unclosed-quote", "no-email"],
)
def test_a_broken_file_is_refused_whole_with_a_clear_message(org_a, data, message):
    with pytest.raises(CsvFileError) as error:
        run(org_a, data)
    assert str(error.value) == message
    assert not Lead.objects.exists()


def test_a_field_over_the_csv_size_limit_is_refused_with_its_line(org_a):
    data = "name,email\nAna,ana@example.com\n" + "x" * 200_000 + ",big@example.com\n"
    with pytest.raises(CsvFileError) as error:
        run(org_a, data)
    assert str(error.value).startswith("Line 3 could not be read as CSV: field larger than")
    assert not Lead.objects.exists()


def test_a_big_file_imports_in_a_bounded_number_of_queries(org_a, django_assert_max_num_queries):
    rows = "".join(f"Lead {n},lead{n}@example.com,,City {n % 7},new,,,\n" for n in range(5000))
    Lead.objects.bulk_create(
        Lead(organization=org_a, name=f"Old {n}", email=f"LEAD{n}@example.com")
        for n in range(0, 5000, 10)
    )
    # 5,000 rows: a few look-ups of existing addresses, then batched writes (SQLite's
    # 999-parameter limit makes its batches the smallest: about 76 leads a statement).
    with django_assert_max_num_queries(100):
        report = run(org_a, HEADER + rows)
    assert (report.created, report.updated, report.errors) == (4500, 500, [])
    assert Lead.objects.filter(organization=org_a).count() == 5000
