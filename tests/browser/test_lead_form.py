"""The form of docs/importing.md works as pasted: in Chromium, a visitor of the agency's
site fills it in and sends it; the lead is in the agency's list, with what they typed, and
a key made in the admin shows the same form with its own key. Screenshots at a laptop's
and a phone's size."""

import re
from pathlib import Path

import pytest

from crm.inbound import snippet
from crm.models import Lead
from tests.browser.test_import import SIZES, screenshot
from tests.conftest import log_in

DOCS = Path(__file__).resolve().parents[2] / "docs" / "importing.md"


def test_the_docs_show_the_form_the_code_gives():
    assert snippet.form_for(snippet.DOCS_ENDPOINT, snippet.DOCS_KEY) in DOCS.read_text()


@pytest.mark.browser
@pytest.mark.usefixtures("fresh_rate_limits")
@pytest.mark.parametrize("size", SIZES)
def test_a_key_made_in_the_admin_and_its_form_on_a_site_bring_a_lead(
    live_server, browser, staff_a, org_a, size
):
    staff_a.set_password("correct horse")
    staff_a.save()
    page = browser.new_page()
    page.set_viewport_size(SIZES[size])
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/crm/inboundkey/add/")
    page.fill("#id_name", "Website contact form")
    page.click("button[name=_save]")
    page.wait_for_selector("#inbound-secret")
    secret = page.input_value("#inbound-secret")
    assert re.fullmatch(r"lk_[\w-]{43}", secret)
    screenshot(page, f"lead-form-key-{size}.png")
    form = page.input_value("#inbound-snippet")
    assert form == snippet.form_for(f"{live_server.url}/api/leads/", secret)

    # The agency's site: the form as pasted, on a page of its own.
    site = browser.new_page()
    site.set_viewport_size(SIZES[size])
    site.set_content(f"<!doctype html><title>Contact us</title><h1>Contact us</h1>{form}")
    site.fill("[name=first_name]", "Zoë")
    site.fill("[name=last_name]", "Okafor")
    site.fill("[name=email]", "zoe@example.com")
    site.fill("[name=phone]", "310 555 0177")
    site.fill("[name=city]", "Pasadena")
    site.fill("[name=budget]", "$600k-$800k")
    site.fill("[name=timeframe]", "this summer")
    site.check("[name=consent]")
    site.click("button[type=submit]")
    site.wait_for_selector("#lead-answer[data-ok='1']")
    assert "Thank you" in site.inner_text("body")
    screenshot(site, f"lead-form-thanks-{size}.png")
    lead = Lead.objects.get(organization=org_a)
    assert (lead.first_name, lead.last_name, lead.phone, lead.city) == (
        "Zoë",
        "Okafor",
        "+13105550177",
        "Pasadena",
    )
    assert (lead.budget_min, lead.budget_max, lead.custom) == (
        600_000,
        800_000,
        {"timeframe": "this summer"},
    )
    assert (lead.source, lead.inbound_key.name, lead.consent_basis) == (
        "Website contact form",
        "Website contact form",
        "express",
    )
