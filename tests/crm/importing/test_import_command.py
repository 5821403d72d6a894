from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crm.models import Lead


def test_the_command_imports_through_the_shared_importer(org_a, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,email,budget_min\nAna,ana@example.com,100\nBad,bad@,\n")
    out, err = StringIO(), StringIO()
    call_command("import_leads", str(path), "--org", "sunset", stdout=out, stderr=err)
    assert "Imported 2 rows: 1 new, 0 updated, 0 unchanged, 1 rejected." in out.getvalue()
    assert f"{path}: line 3, email: “bad@” is not a valid email address" in err.getvalue()
    assert "100% read, 1 leads saved" in err.getvalue()
    assert Lead.objects.get().budget_min == 100


def test_a_dry_run_changes_nothing(org_a, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,email\nAna,ana@example.com\n")
    out = StringIO()
    call_command("import_leads", str(path), "--org", "sunset", "--dry-run", stdout=out)
    assert "Would import 1 rows: 1 new" in out.getvalue()
    assert not Lead.objects.exists()


def test_an_unknown_organization_is_a_clear_error(org_a, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,email\n")
    with pytest.raises(CommandError, match="No organization with the slug 'nope'"):
        call_command("import_leads", str(path), "--org", "nope")


def test_a_broken_file_is_a_clear_error(org_a, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes(b'name,email\n"Ana,ana@example.com\n')
    with pytest.raises(CommandError, match="Line 2 could not be read as CSV"):
        call_command("import_leads", str(path), "--org", "sunset")


def test_the_command_maps_columns_and_status_values_as_told_and_remembers_them(org_a, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "First Name,E-mail,Stage,Kids,Listing Price\n"
        "Ana,ana@example.com,Kids of Clients,Sam,$450,000\n".replace("$450,000", '"$450,000"')
    )
    err = StringIO()
    call_command(
        "import_leads",
        str(path),
        "--org",
        "sunset",
        "--map",
        "Kids=skip",
        "--map",
        "Listing Price=budget_min",
        "--status",
        "Kids of Clients=client",
        stdout=StringIO(),
        stderr=err,
    )
    assert f"{path}: Kids → skip" in err.getvalue()
    assert f"{path}: Listing Price → budget_min" in err.getvalue()
    ana = Lead.objects.get()
    assert (ana.status, ana.budget_min, ana.budget_max, ana.custom) == ("client", 450_000, None, {})
    # The next file with this header is mapped the same way without being told.
    path.write_text(
        'First Name,E-mail,Stage,Kids,Listing Price\nBen,ben@example.com,Kids of Clients,Al,"$9"\n'
    )
    call_command("import_leads", str(path), "--org", "sunset", stdout=StringIO(), stderr=StringIO())
    ben = Lead.objects.get(email="ben@example.com")
    assert (ben.status, ben.budget_min, ben.custom) == ("client", 9, {})


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--map", "Nope=email"], "--map 'Nope': the file has no such column"),
        (["--map", "name=favourite"], "--map 'name': 'favourite' is not a field"),
        (["--status", "Hot=boiling"], "--status 'Hot': 'boiling' is not a status"),
        (["--map", "no-equals-sign"], "--map 'no-equals-sign': write it as NAME=VALUE."),
    ],
)
def test_a_wrong_option_is_a_clear_error(org_a, tmp_path, option, message):
    path = tmp_path / "leads.csv"
    path.write_text("name,email\nAna,ana@example.com\n")
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace("?", r"\?")):
        call_command("import_leads", str(path), "--org", "sunset", *option)
    assert not Lead.objects.exists()
