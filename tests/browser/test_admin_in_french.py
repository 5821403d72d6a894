"""In Chromium, with the demo, at 1366 by 900 and on a 390 by 844 phone: agent-paris (an
agent of Maison Lumière who chose French) walks the admin, and every page is in French: the
home, the campaigns, a draft and a launched campaign, the draft's launch page (whose button
says Programmer once a date is in Send later, typed day first), the leads and the message
log (times on the 24-hour clock). Screenshots under var/screenshots/."""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.models import Campaign
from tests.browser.shots import SIZES, new_page, overflow, shot
from tests.conftest import log_in

# Words of ours (and of unfold's) that an English page shows: none may be left on a French one.
ENGLISH = [
    "Campaigns",
    "Leads",
    "Launch now",
    "Preview and test",
    "Send later",
    "Filters",
    "Estimated finish",
    "Messages to send",
    "Sending account",
    "Change password",
    "Log out",
    "Type to search",
    "Apply Filters",
    "Getting started",
    "Running now",
    "Latest failures",
    "Messages per day",
    "Times in",
    "Step 1",
    "will be skipped",
    "Save your changes",
    "Used when the blast",
    "Results by step",
    "This campaign was launched",
    "Delivery",
]
TWELVE_HOUR_CLOCK = re.compile(r"\d(:\d\d)? ?([AP]M|[ap]\.m\.)")


def french(page, name: str) -> str:
    """The page's visible text, checked: the page is in French and names nothing in
    English, on the 24-hour clock, and fits its screen."""
    assert page.get_attribute("html", "lang") == "fr", name
    text = page.inner_text("body")
    left = [word for word in ENGLISH if re.search(rf"\b{re.escape(word)}\b", text)]
    assert left == [], f"{name}: {left}"
    assert not TWELVE_HOUR_CLOCK.search(text), name
    assert overflow(page) == 0, name
    return text


@pytest.fixture
def demo(live_server):
    call_command("load_demo", "--force", stdout=StringIO())
    return live_server


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_agent_paris_walks_the_admin_in_french(demo, browser, width, height):
    blast = Campaign.objects.get(name="Nouvelles annonces à Paris")
    page = new_page(browser, width, height)
    log_in(page, demo, "agent-paris", "agent")
    home = french(page, "home")
    assert "Campagnes" in home or width < 768  # the sidebar is folded away on a phone
    shot(page, "french-home")

    page.goto(f"{demo.url}/admin/campaigns/campaign/")
    listing = french(page, "campaigns")
    assert "Nouvelles annonces à Paris" in listing
    assert "Sunset" not in listing  # the other agency's campaigns stay out of sight
    shot(page, "french-campaigns")

    page.goto(f"{demo.url}/admin/campaigns/campaign/{blast.pk}/change/")
    french(page, "campaign")
    shot(page, "french-campaign")

    sequence = Campaign.objects.get(name="Suivi des nouveaux contacts")
    page.goto(f"{demo.url}/admin/campaigns/campaign/{sequence.pk}/change/")
    page.wait_for_selector("#step-funnel")
    launched = french(page, "launched sequence")
    assert "Résultats par étape" in launched and "Cette campagne a été lancée" in launched
    shot(page, "french-sequence")

    if blast.status == Campaign.Status.DRAFT:
        page.goto(f"{demo.url}/admin/campaigns/campaign/{blast.pk}/launch/")
        launch = french(page, "launch")
        assert "Lancer maintenant" in launch
        day = datetime.date.today() + datetime.timedelta(days=30)
        page.fill("#id_send_at_0", day.strftime("%d/%m/%Y"))
        page.fill("#id_send_at_1", "9:30")
        assert page.inner_text("#launch-label") == "Programmer"
        page.fill("#id_send_at_0", "")
        page.keyboard.press("Tab")
        assert page.inner_text("#launch-label") == "Lancer maintenant"
        shot(page, "french-launch")

    page.goto(f"{demo.url}/admin/crm/lead/")
    french(page, "leads")
    shot(page, "french-leads")

    page.goto(f"{demo.url}/admin/campaigns/messagelog/")
    french(page, "message log")
    shot(page, "french-message-log")
    page.close()
