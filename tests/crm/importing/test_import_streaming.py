"""The importer streams: its memory does not grow with the file, batches see each other's
addresses, a late fault writes nothing, and errors are counted past the ones kept."""

import tracemalloc
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from crm.importing import csv_reading, lead_import
from crm.importing.csv_reading import CsvFileError
from crm.importing.lead_import import leads_import
from crm.models import Lead


def write_leads(path, rows: int, start: int = 0) -> None:
    with path.open("w") as out:
        out.write("name,email,city,budget_min\n")
        for n in range(start, start + rows):
            out.write(f"Lead {n},lead{n}@example.com,City {n % 9},{100000 + n}\n")


def peak_of_a_preview(org, path) -> int:
    tracemalloc.start()
    try:
        with path.open("rb") as source:
            report = leads_import(organization=org, data=source, dry_run=True, sample_size=20)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert report.rows == report.created + report.updated + report.unchanged


def test_the_previews_memory_does_not_grow_with_the_number_of_rows(org_a, tmp_path, settings):
    # Smaller batches keep the test quick: what matters is many batches against few.
    settings.LEAD_IMPORT_BATCH_SIZE = 500
    # Some of the file's addresses exist already, in another case: they are updates.
    Lead.objects.bulk_create(
        Lead(organization=org_a, name="Old", email=f"LEAD{n}@example.com") for n in range(300)
    )
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    write_leads(small, 2_000)
    write_leads(large, 24_000)
    small_peak, large_peak = peak_of_a_preview(org_a, small), peak_of_a_preview(org_a, large)
    # Twelve times the rows, the same batch in memory (the whole file took 12 times more).
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    assert large_peak < 5 * 1024 * 1024


def test_an_address_repeated_in_a_later_batch_is_reported_with_its_first_line(org_a, settings):
    settings.LEAD_IMPORT_BATCH_SIZE = 2
    data = "name,email\nAna,ana@example.com\nBen,ben@example.com\nCid,cid@example.com\n"
    report = leads_import(organization=org_a, data=(data + "Ana B,ANA@example.com\n").encode())
    assert [str(error) for error in report.errors] == [
        "line 5, email: " + lead_import.ALREADY_IN_FILE.format(email="ANA@example.com", first=2)
    ]
    assert (report.created, report.rejected) == (3, 1)
    assert Lead.objects.get(email="ana@example.com").first_name == "Ana"


def test_a_file_broken_after_several_batches_writes_nothing(org_a, lead_a, settings):
    settings.LEAD_IMPORT_BATCH_SIZE = 2
    rows = "".join(f"Lead {n},lead{n}@example.com\n" for n in range(7))
    data = "name,email\nAna New Name,ana@example.com\n" + rows + '"Unclosed,x@example.com\n'
    with pytest.raises(CsvFileError) as error:
        leads_import(organization=org_a, data=data.encode())
    assert str(error.value) == csv_reading.BROKEN_CSV.format(
        line=10, reason="unexpected end of data"
    )
    assert list(Lead.objects.values_list("name", flat=True)) == ["Ana Souza"]


def test_errors_past_the_ones_kept_are_counted_and_the_command_prints_them_all(
    org_a, tmp_path, monkeypatch
):
    monkeypatch.setattr(lead_import, "ERRORS_KEPT", 3)
    path = tmp_path / "leads.csv"
    path.write_text("name,email\n" + "".join(f"Bad {n},bad{n}\n" for n in range(8)))
    with path.open("rb") as source:
        report = leads_import(organization=org_a, data=source, dry_run=True)
    assert (report.rejected, report.error_count, len(report.errors)) == (8, 8, 3)
    assert [error.line for error in report.errors] == [2, 3, 4]
    err = StringIO()
    call_command("import_leads", str(path), "--org", "sunset", stdout=StringIO(), stderr=err)
    assert err.getvalue().count("is not a valid email address") == 8
    assert f"{path}: line 9, email: “bad7” is not a valid email address" in err.getvalue()


def test_a_row_too_long_to_be_a_lead_is_refused_with_its_line(org_a, monkeypatch):
    monkeypatch.setattr(csv_reading, "MAX_ROW_CHARS", 1000)
    data = "name,email\nAna,ana@example.com\n" + '"' + "x\n" * 600 + '",big@example.com\n'
    with pytest.raises(CsvFileError) as error:
        leads_import(organization=org_a, data=data.encode())
    assert str(error.value) == csv_reading.ROW_TOO_LONG.format(line=3, limit=1000)
    assert not Lead.objects.exists()


def test_a_binary_file_is_named_binary_even_when_another_fault_comes_first(org_a):
    data = b'name,email\n"unclosed,x@example.com\n' + b"a" * 10 + b"\x00\n"
    with pytest.raises(CsvFileError) as error:
        leads_import(organization=org_a, data=data)
    assert str(error.value) == csv_reading.NUL_BYTE.format(line=3)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL plans from statistics: a seq scan here"
)
def test_existing_leads_are_looked_up_through_the_lower_email_index(org_a, lead_a):
    # A batch asks for hundreds of addresses at once. With the model's ordering, SQLite
    # then chose to scan every lead of the organization, for each query.
    addresses = [f"lead{n}@example.com" for n in range(900)]
    plan = lead_import.leads_by_address(org_a, addresses).explain()
    assert "USING INDEX crm_lead_unique_email_per_org" in plan, plan
    assert [lead.pk for lead in lead_import.leads_by_address(org_a, ["ana@example.com"])] == [
        lead_a.pk
    ]
