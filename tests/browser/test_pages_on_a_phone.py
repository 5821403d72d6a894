"""In Chromium, with the demo, at 1366 by 900 and on a 390 by 844 phone: the campaign page, the
home, a lead's page and a listing alert's review are never wider than the screen, their
header shows the page's title (a launched campaign keeps its breadcrumb) without its icons
overlapping, and wide tables read as cards whose every figure is on screen. Screenshots
under var/screenshots/."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from campaigns.models import Campaign, ListingAlert
from crm.models import Lead
from tests.browser.shots import SIZES, new_page, overflow, shot
from tests.conftest import log_in

HEADER = "#header-inner"


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def header_reads(page, title: str) -> None:
    """The title is on screen, whole, and nothing of the header's right side covers it."""
    heading = page.locator(f"{HEADER} h1")
    box = heading.bounding_box()
    assert box and box["width"] > 60, "the page's title is squeezed out"
    assert title in heading.inner_text()
    for other in ("#time-zone", f"{HEADER} .addlink", f"{HEADER} ul"):
        found = page.locator(other)
        if found.count() and found.first.is_visible():
            assert not boxes_overlap(box, found.first.bounding_box()), other
    width = page.viewport_size["width"]
    for icon in page.locator(f"{HEADER} .material-symbols-outlined").all():
        icon_box = icon.bounding_box()
        if icon.is_visible() and icon_box:
            assert icon_box["x"] + icon_box["width"] <= width + 1


@pytest.fixture
def demo(live_server):
    call_command("load_demo", "--force", stdout=StringIO())
    return live_server


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_campaign_page_reads_on_a_phone(demo, browser, width, height):
    nurture = Campaign.objects.get(name="New lead nurture")
    page = new_page(browser, width, height)
    log_in(page, demo, "owner", "owner")
    page.goto(f"{demo.url}/admin/campaigns/campaign/{nurture.pk}/change/")
    page.wait_for_selector("#step-funnel")
    assert overflow(page) == 0
    header_reads(page, "New lead nurture")  # the launched campaign keeps its breadcrumb
    assert "Campaigns" in page.inner_text(f"{HEADER} h1")
    # Every figure of the per-step table is on screen, next to its name.
    for cell in page.locator("#step-funnel td[data-label]").all():
        box = cell.bounding_box()
        assert box["x"] + box["width"] <= width + 1
    sent = page.locator("#step-funnel tr").nth(1).locator("td[data-label='Sent']")
    assert sent.is_visible()
    if width < 768:  # a card: the label is shown beside the figure
        label = sent.evaluate("cell => getComputedStyle(cell, '::before').content")
        assert label == '"Sent"'
    shot(page, "phone-campaign")
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_home_a_lead_and_the_alert_review_read_on_a_phone(demo, browser, width, height):
    lead = (
        Lead.objects.annotate(sent=Count("message_logs"))
        .filter(organization__slug="sunset-realty")
        .order_by("-sent", "name")
        .first()
    )
    alert = ListingAlert.objects.filter(
        state=ListingAlert.State.PENDING, organization__slug="sunset-realty"
    ).first()
    page = new_page(browser, width, height)
    log_in(page, demo, "owner", "owner")
    pages = [
        ("home", "/admin/", "Sunset Realty", "#latest-failures"),
        ("lead", f"/admin/crm/lead/{lead.pk}/change/", lead.name, "#lead-timeline"),
        (
            "alert-review",
            f"/admin/campaigns/listingalert/{alert.pk}/change/",
            "New listing",
            "#alert-review",
        ),
    ]
    for name, path, title, part in pages:
        page.goto(f"{demo.url}{path}")
        page.wait_for_selector(part)
        assert overflow(page) == 0, name
        header_reads(page, title)
        for element in page.locator(f"{part} td, {part} select, {part} iframe").all():
            box = element.bounding_box()
            if box:
                assert box["x"] + box["width"] <= width + 1, (name, element.inner_html()[:80])
        shot(page, f"phone-{name}")
    page.close()
