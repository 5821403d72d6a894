"""A real browser (Debian's Chromium, driven by Playwright) logs in and opens the leads."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from campaigns.models import Campaign
from crm.models import Lead
from tests.conftest import log_in, make_staff


@pytest.mark.browser
def test_staff_log_in_and_see_their_leads(live_server, browser, org_a, org_b):
    alice = make_staff("alice", org_a)
    alice.set_password("correct horse")
    alice.save()
    Lead.objects.create(organization=org_a, name="Ana Souza", email="ana@example.com")
    Lead.objects.create(organization=org_b, name="Bruno Petit", email="bruno@example.com")

    page = browser.new_page()
    log_in(page, live_server, "alice", "correct horse")
    page.locator("#nav-sidebar-inner a[href='/admin/crm/lead/']").click()
    page.wait_for_url("**/admin/crm/lead/")
    body = page.inner_text("body")
    assert "Ana Souza" in body
    assert "Bruno Petit" not in body
    assert "1 lead" in body


@pytest.mark.browser
def test_staff_preview_a_step_for_a_lead(live_server, browser, org_a, staff_a, campaign_a):
    alice = staff_a
    alice.set_password("correct horse")
    alice.save()
    Lead.objects.create(
        organization=org_a, name="Ana Souza", email="ana@example.com", city="Pasadena"
    )
    step = campaign_a.steps.get()
    step.subject = "Homes in {{ lead.city }}"
    step.body_template = "<h1>Hello {{ lead.first_name }}</h1>"
    step.save()

    page = browser.new_page()
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/campaigns/campaignstep/{step.pk}/change/")
    page.click("text=Preview and test")
    page.wait_for_url(f"**/campaignstep/{step.pk}/preview/")
    assert page.inner_text("#preview-subject") == "Homes in Pasadena"
    frame = page.frame_locator("#preview-html")
    assert frame.locator("h1").inner_text() == "Hello Ana"
    assert "Unsubscribe" in page.inner_text("#preview-text")


@pytest.mark.browser
def test_staff_pause_a_campaign_through_its_confirmation(
    live_server, browser, staff_a, campaign_a, message_a
):
    """unfold's action is a link (a GET): it lands on a confirmation whose button POSTs.
    (A message still waits: a blast with nothing left to send offers no Pause.)"""
    staff_a.set_password("correct horse")
    staff_a.save()
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.ACTIVE)
    page = browser.new_page()
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign_a.pk}/change/")
    page.click("text=Pause")
    page.wait_for_url(f"**/campaign/{campaign_a.pk}/pause/")
    campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.ACTIVE
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(f"**/campaign/{campaign_a.pk}/change/")
    assert "Paused: nothing more is sent" in page.inner_text("body")
    campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.PAUSED


ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.mark.browser
def test_the_home_dashboard_with_the_demo_data(live_server, browser):
    """The demo's staff member sees a populated dashboard; the screenshot is kept under
    tests/artifacts/ (not committed) for a person to look at."""
    call_command("load_demo", "--force", stdout=StringIO())
    page = browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 1400})
    log_in(page, live_server, "agent", "agent")
    page.wait_for_selector("#dashboard canvas")
    page.wait_for_timeout(800)  # the chart's entry animation
    kpis = page.inner_text("#dashboard")
    assert "Sent, 30 days" in kpis and "Reply rate, 30 days" in kpis
    sent = page.locator("#dashboard .text-2xl").nth(2).inner_text()
    assert int(sent.replace(",", "")) > 50
    assert "New lead nurture" in kpis  # running now
    # Times in Los Angeles time: the demo's failures happened in its send window (9 to 5).
    assert "America/Los_Angeles" in page.inner_text("#time-zone")
    failed_at = [row.split("\t")[0] for row in page.inner_text("#latest-failures").splitlines()]
    assert failed_at and all("09:" <= when.split(", ")[1] <= "17:1" for when in failed_at)
    assert "Maison Lumière" not in page.inner_text("body")  # the other agency's data
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-dashboard.png"), full_page=True)
    assert (ARTIFACTS / "home-dashboard.png").stat().st_size > 20_000


SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.browser
def test_the_launch_page_shows_the_preflight_and_links_to_the_leads(
    live_server, browser, org_a, staff_a, campaign_a
):
    from django.utils import timezone

    from campaigns.models import CampaignStep

    staff_a.set_password("correct horse")
    staff_a.save()
    CampaignStep.objects.filter(campaign=campaign_a).update(
        subject="Homes in {{ lead.city|default('your area', true) }}",
        body_template="<p>Hi {{ lead.first_name }}, see "
        '<a href="https://bit.ly/loft">the loft</a>.</p>',
    )
    for n, (name, city) in enumerate(
        [("Ana Souza", "Pasadena"), ("Bo Li", ""), ("", "Burbank"), ("Cy Ode", "")]
    ):
        Lead.objects.create(organization=org_a, name=name, email=f"l{n}@example.com", city=city)
    Lead.objects.filter(email="l3@example.com").update(unsubscribed_at=timezone.now())

    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 1100})
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign_a.pk}/change/")
    page.click("text=Launch…")
    page.wait_for_url("**/launch/")
    preflight = page.inner_text("#preflight")
    assert "4 leads in the audience: 3 would get it, 1 skipped." in preflight
    assert "Opted out: 1 lead unsubscribed" in preflight
    assert "lead.city: 1 lead with no city: step 1 uses the fallback “your area”." in preflight
    assert "lead.first_name: 1 lead with no first name" in preflight
    assert "a link goes through a URL shortener" in preflight
    assert page.is_enabled("#launch-now")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "launch-preflight.png"), full_page=True)

    page.click("[data-preflight='blank:lead.first_name'] a")
    page.wait_for_url("**/admin/crm/lead/?preflight=*")
    listed = page.inner_text("#result_list")
    assert "l2@example.com" in listed and "l0@example.com" not in listed
    page.screenshot(path=str(SCREENSHOTS / "preflight-leads.png"), full_page=True)


@pytest.mark.browser
def test_a_leads_page_shows_that_an_auto_reply_held_their_sequence(
    live_server, browser, staff_a, campaign_a, lead_a, detecting, google
):
    import datetime

    from django.utils import timezone

    from campaigns.events import replies
    from campaigns.models import Campaign, Enrollment, MessageLog

    staff_a.set_password("correct horse")
    staff_a.save()
    now = timezone.now()
    Campaign.objects.filter(pk=campaign_a.pk).update(
        type=Campaign.Type.SEQUENCE, status=Campaign.Status.ACTIVE, email_account=detecting
    )
    step = campaign_a.steps.get()
    MessageLog.objects.create(
        organization=lead_a.organization,
        campaign=campaign_a,
        campaign_step=step,
        lead=lead_a,
        email_account=detecting,
        to_email=lead_a.email,
        subject="Hi A",
        status=MessageLog.Status.SENT,
        sent_at=now - datetime.timedelta(hours=1),
        thread_id="thread-ana",
        provider_message_id="gmail-ana",
    )
    Enrollment.objects.create(
        organization=lead_a.organization,
        campaign=campaign_a,
        lead=lead_a,
        started_at=now - datetime.timedelta(hours=1),
        next_order=2,
        next_due_at=now + datetime.timedelta(days=2),
    )
    back = (now + datetime.timedelta(days=10)).date().isoformat()
    google.add_message(
        "thread-ana",
        sender="Ana Souza <ana@example.com>",
        subject=f"Out of office: back on {back}",
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert "1 auto-reply held" in str(replies.check_account(detecting))

    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 1300})
    log_in(page, live_server, "alice", "correct horse")
    page.goto(f"{live_server.url}/admin/crm/lead/{lead_a.pk}/change/")
    body = page.inner_text("body")
    assert f"Out of office: back on {back}" in body
    assert "next step held until" in body and "(America/Los_Angeles)." in body
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "lead-auto-reply.png"), full_page=True)
