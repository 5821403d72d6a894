"""In a real browser: upload a CSV, read the preview (counts, row errors), confirm."""

import pytest

from crm.models import Lead
from tests.conftest import log_in

CSV = (
    "name,email,city,budget_max\n"
    "Ana Souza,ana@example.com,Pasadena,700000\n"
    "Ben Cole,ben@example.com,Glendale,1180591620717411303424\n"
    "Cid Moreau,cid@example.com,Burbank,\n"
)


@pytest.mark.browser
def test_staff_import_leads_through_the_preview(live_server, browser, staff_a, tmp_path):
    staff_a.set_password("correct horse")
    staff_a.save()
    path = tmp_path / "leads.csv"
    path.write_text(CSV)

    page = browser.new_page()
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/crm/lead/import/")
    page.set_input_files("#lead-import-form input[type=file]", str(path))
    page.click("#lead-import-form button[type=submit]")
    page.wait_for_selector("#import-totals")
    assert page.inner_text("[data-testid=created]") == "2"
    assert page.inner_text("[data-testid=rejected]") == "1"
    errors = page.inner_text("#import-errors")
    assert "3\tbudget_max\t1180591620717411303424 is more than" in errors
    assert "Cid Moreau" in page.inner_text("body")  # the first rows, as they will be saved
    assert not Lead.objects.exists()

    page.click("text=Confirm import")
    page.wait_for_url("**/admin/crm/lead/")
    assert "Imported 3 rows: 2 new, 0 updated, 0 unchanged, 1 rejected." in page.inner_text("body")
    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "ana@example.com",
        "cid@example.com",
    ]
