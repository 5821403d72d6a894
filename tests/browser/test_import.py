"""In Chromium, at a laptop's and a phone's size: an agent uploads a Follow Up Boss export
saved by Excel (Windows-1252), reads where each column goes with its first values, maps a
status value the CRM made up and drops a column, previews again (the dropped column is
named with the problems), confirms, and reads the final message."""

from pathlib import Path

import pytest

from crm.models import Lead
from tests.conftest import log_in
from tests.crm.importing.crm_files import FOLLOW_UP_BOSS

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def screenshot(page, name: str, at: str = "") -> None:
    """The whole page; or, with `at`, one screen from that element down, as it is seen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if not at:
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
        return
    top = page.locator(at).bounding_box()["y"] + page.evaluate("window.scrollY")
    size = page.viewport_size
    clip = {"x": 0, "y": top, "width": size["width"], "height": size["height"]}
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True, clip=clip)


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_an_agent_maps_a_crm_export_previews_and_imports_it(
    live_server, browser, staff_a, maria, tom, tmp_path, size
):
    staff_a.set_password("correct horse")
    staff_a.save()
    path = tmp_path / "follow-up-boss-export.csv"
    path.write_bytes(FOLLOW_UP_BOSS.csv("cp1252"))

    page = browser.new_page()
    page.set_viewport_size(SIZES[size])
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/crm/lead/import/")
    page.set_input_files("#lead-import-form input[type=file]", str(path))
    page.click("#lead-import-form button[type=submit]")
    page.wait_for_selector("#import-columns")
    assert "Windows-1252" in page.inner_text("body")
    assert page.inner_text("[data-testid=created]") == "6"
    assert page.inner_text("[data-testid=rejected]") == "1"
    # Each column with its first values and where it goes.
    kids = page.locator("#import-columns [data-column='Kids Names']")
    assert "Léa, Max · Sam" in kids.inner_text()
    assert "lead.custom.kids_names" in kids.inner_text()
    stage = page.locator("#import-columns [data-column='Stage'] select")
    assert stage.input_value() == "status"
    trash = page.locator("#import-statuses [data-status-value='Trash']")
    assert "Stage: “Trash” (1 row)" in trash.inner_text()
    assert trash.locator("select").input_value() == "lost"
    problems = page.inner_text("#import-problems")
    assert "7\tEmail 1\t“not-an-email” is not a valid email address" in problems
    assert "“Kids of Closed Clients” is not a status we know" in problems
    screenshot(page, f"import-1-mapping-{size}.png")
    screenshot(page, f"import-1-columns-{size}.png", at="#import-mapping")
    screenshot(page, f"import-1-statuses-{size}.png", at="#import-statuses")

    # The made-up stage becomes Client; the kids' names are not wanted.
    page.select_option(
        "#import-statuses [data-status-value='Kids of Closed Clients'] select", "client"
    )
    page.select_option("#import-columns [data-column='Kids Names'] select", "skip")
    page.click("#import-mapping button[type=submit]")
    page.wait_for_selector("#import-skipped")
    assert "Kids Names" in page.inner_text("#import-skipped")
    assert "Kids of Closed Clients" not in page.inner_text("#import-problems")
    screenshot(page, f"import-2-preview-again-{size}.png")
    assert not Lead.objects.exists()

    page.click("#import-confirm button[type=submit]")
    page.wait_for_url("**/admin/crm/lead/")
    screenshot(page, f"import-3-done-{size}.png")
    text = page.inner_text("body")
    assert "Imported 7 rows: 6 new, 0 updated, 0 unchanged, 1 rejected." in text
    assert (
        "Columns not imported: Name (the file has first and last name columns); Kids Names." in text
    )
    cid = Lead.objects.get(email="cid@example.com")
    assert (cid.status, cid.custom) == ("client", {"id": "107", "date_added": "2024-07-08"})
    assert Lead.objects.get(email="okafor@example.com").status == "lost"


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_a_large_import_shows_its_progress_and_is_found_again(
    live_server, browser, staff_a, org_a, size
):
    from django.utils import timezone

    from crm.models import LeadImport

    staff_a.set_password("correct horse")
    staff_a.save()
    job = LeadImport.objects.create(
        organization=org_a,
        file_name="kvcore-export-2026.csv",
        file_size=40_000_000,
        state=LeadImport.State.IMPORTING,
        progress=0.42,
        heartbeat_at=timezone.now(),
    )
    page = browser.new_page()
    page.set_viewport_size(SIZES[size])
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/crm/lead/import/{job.pk}/")
    assert page.get_attribute("#import-progress", "data-state") == "importing"
    screenshot(page, f"import-4-progress-{size}.png")
    page.goto(f"{live_server.url}/admin/crm/lead/import/")
    assert "kvcore-export-2026.csv" in page.inner_text("#import-recent")
    assert "Importing (42%)" in page.inner_text("#import-recent")
    screenshot(page, f"import-5-recent-{size}.png")
