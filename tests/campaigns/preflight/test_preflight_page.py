"""The launch page shows the preflight above the Launch button; each count links to its
leads; a step that renders for nobody turns Launch off."""

import re
from html import unescape

from django.urls import reverse

from campaigns.models import CampaignStep, MessageLog
from crm.models import Lead


def launch_page(client, campaign) -> str:
    return client.get(
        reverse("admin:campaigns_campaign_launch", args=[campaign.pk])
    ).content.decode()


def link_of(page: str, key: str) -> str:
    item = re.search(rf'data-preflight="{re.escape(key)}">.*?href="([^"]+)"', page, re.DOTALL)
    return unescape(item[1])


def listed_emails(client, url: str) -> set[str]:
    """The leads' addresses on a lead list page (the staff members' own left out)."""
    page = client.get(url).content.decode()
    return set(re.findall(r"[\w.]+@example\.com", page)) - {"alice@example.com", "bob@example.com"}


def test_the_page_reports_blanks_and_links_each_count_to_its_leads(client_a, campaign_a, org_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(
        subject="Homes in {{ lead.city|default('your area', true) }}"
    )
    for n, city in enumerate(["Pasadena", "", ""]):
        Lead.objects.create(
            organization=org_a, name=f"Lead {n}", email=f"l{n}@example.com", city=city
        )
    page = launch_page(client_a, campaign_a)
    assert "Checked before launch" in page
    assert "3 leads in the audience: 3 would get it, 0 skipped" in page
    assert (
        "lead.city: <a" in page
        and ">2 leads</a> with no city: step 1 uses the fallback “your area”." in page
    )
    url = link_of(page, "blank:lead.city")
    assert url.startswith("/admin/crm/lead/?preflight=")
    assert listed_emails(client_a, url) == {"l1@example.com", "l2@example.com"}
    assert 'id="launch-now"' in page and "disabled" not in page.split('id="launch-now"')[1][:40]
    assert not MessageLog.objects.exists()


def test_a_step_that_renders_for_nobody_turns_launch_off(client_a, campaign_a, lead_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(body_template="{{ property.title }}")
    page = launch_page(client_a, campaign_a)
    assert 'id="preflight-blocking"' in page
    assert "Launch is turned off until this is fixed" in page
    button = re.search(r"<button[^>]*launch-now[^>]*>", page)[0]
    assert " disabled" in button
    url = reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk])
    response = client_a.post(url, {}, follow=True)
    notes = [str(message) for message in response.context["messages"]]
    assert notes[0].startswith("Not launched: step 1 cannot be rendered for any lead (all 1 fail)")
    assert not MessageLog.objects.exists()
    campaign_a.refresh_from_db()
    assert campaign_a.status == "draft"


def test_an_audience_above_the_pages_limit_is_sent_to_the_command(
    client_a, campaign_a, lead_a, settings
):
    settings.CAMPAIGNS_PREFLIGHT_PAGE_LIMIT = 0
    page = launch_page(client_a, campaign_a)
    assert 'id="preflight-too-large"' in page
    assert f"manage.py launch_campaign {campaign_a.pk} --check" in page


def test_another_agencys_campaign_in_the_link_shows_no_lead(client_b, campaign_a, lead_a, lead_b):
    url = reverse("admin:crm_lead_changelist") + f"?preflight={campaign_a.pk}:skipped:opted_out"
    response = client_b.get(url)
    assert response.status_code == 200
    assert listed_emails(client_b, url) == set()


def test_a_malformed_link_shows_no_lead_and_no_error(client_a, lead_a):
    for value in (
        "nonsense",
        "nonsense:blank:lead.city",
        ":",
        "00000000-0000-0000-0000-000000000000:x",
    ):
        url = reverse("admin:crm_lead_changelist") + f"?preflight={value}"
        response = client_a.get(url)
        assert response.status_code == 200, value
        assert listed_emails(client_a, url) == set(), value
