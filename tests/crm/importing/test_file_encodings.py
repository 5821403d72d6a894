"""A file is read in the encoding it was saved in, found by its byte-order mark, its
bytes and charset-normalizer: Windows-1252 (Excel on Windows), Latin-1, UTF-16 (Excel's
"Unicode text", tab-separated, with or without a mark) and UTF-8 with or without BOM, and
its delimiter (comma, semicolon, tab). Every one gives the same leads."""

import codecs
import io

import pytest

from crm.importing.csv_reading import detect_encoding
from crm.importing.lead_import import leads_import
from crm.models import Lead
from tests.crm.importing.crm_files import KVCORE, SPREADSHEET
from tests.crm.importing.test_crm_exports import check_every_lead


@pytest.mark.parametrize(
    ("encoding", "delimiter", "prefix", "detected", "described"),
    [
        ("cp1252", ",", b"", "cp1252", "Windows-1252, separated by commas"),
        ("cp1252", ";", b"", "cp1252", "Windows-1252, separated by semicolons"),
        (
            "utf-16-le",
            "\t",
            codecs.BOM_UTF16_LE,
            "utf-16",
            "UTF-16 (Unicode text), separated by tabs",
        ),
        ("utf-16-le", "\t", b"", "utf-16-le", "UTF-16 (Unicode text), separated by tabs"),
        (
            "utf-16-be",
            "\t",
            codecs.BOM_UTF16_BE,
            "utf-16",
            "UTF-16 (Unicode text), separated by tabs",
        ),
        ("utf-8", ",", codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM, separated by commas"),
        ("utf-8", ";", b"", "utf-8", "UTF-8, separated by semicolons"),
    ],
    ids=[
        "cp1252",
        "cp1252-semicolons",
        "utf16-bom",
        "utf16-no-bom",
        "utf16-be",
        "utf8-bom",
        "utf8",
    ],
)
def test_every_encoding_gives_the_same_leads(
    org_a, maria, tom, encoding, delimiter, prefix, detected, described
):
    data = prefix + SPREADSHEET.csv(encoding, delimiter)
    assert detect_encoding(io.BytesIO(data)) == detected
    report = leads_import(organization=org_a, data=data)
    assert report.read_as == f"CSV, {described}"
    check_every_lead(org_a, SPREADSHEET)


def test_a_latin_1_file_reads_as_written(org_a, maria, tom):
    data = KVCORE.csv("latin_1")
    assert "Maëlle".encode("latin_1") in data
    assert detect_encoding(io.BytesIO(data)) in ("cp1252", "latin_1", "iso8859_15")
    leads_import(organization=org_a, data=data)
    check_every_lead(org_a, KVCORE)


def test_a_latin_1_file_with_bytes_windows_1252_leaves_undefined_is_latin_1(org_a):
    # 0x81 is no character in Windows-1252: such a file cannot be it.
    data = "email,first_name\nana@example.com,Ana\x81\nzoe@example.com,Zoë\n".encode("latin_1")
    assert detect_encoding(io.BytesIO(data)) in ("latin_1", "iso8859_15")
    report = leads_import(organization=org_a, data=data)
    assert report.created == 2


def test_a_short_windows_1252_file_is_not_taken_for_another_code_page(org_a):
    # Unrestricted, charset-normalizer reads these 12 bytes as Urdu (cp1006).
    data = "email,name\nz@example.com,Zoë Müller\n".encode("cp1252")
    assert detect_encoding(io.BytesIO(data)) == "cp1252"
    leads_import(organization=org_a, data=data)
    assert Lead.objects.get().name == "Zoë Müller"


def test_an_accent_far_down_a_large_file_is_still_seen(org_a):
    rows = "".join(f"lead{n}@example.com,Lead {n}\n" for n in range(40_000))
    data = ("email,name\n" + rows + "zoe@example.com,Zoë\n").encode("cp1252")
    assert len(data) > 1024 * 1024
    assert detect_encoding(io.BytesIO(data)) == "cp1252"
