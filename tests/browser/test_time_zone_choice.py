"""In Chromium, an owner finds their agency's zone by typing what they call it ("Eastern")
in the time-zone list, and saves it."""

import pytest

from tests.browser.shots import SIZES, new_page, overflow, shot
from tests.conftest import log_in


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_an_owner_finds_the_zone_by_the_name_people_use(
    live_server, browser, staff_a, org_a, width, height
):
    staff_a.set_password("correct horse")
    staff_a.save()
    page = new_page(browser, width, height)
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/crm/organization/{org_a.pk}/change/")
    page.click("#id_timezone + .select2 .select2-selection")
    page.keyboard.type("Eastern")
    found = page.locator(".select2-results__option", has_text="New York, United States")
    found.wait_for()
    assert "Eastern Time" in found.inner_text()
    shot(page, "time-zone-search", full_page=False)
    assert overflow(page) == 0
    found.click()
    page.click("button[name=_save]")
    page.wait_for_url("**/admin/crm/organization/")
    org_a.refresh_from_db()
    assert org_a.timezone == "America/New_York"
