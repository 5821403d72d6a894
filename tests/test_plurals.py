"""Counts read as sentences: "1 lead", "3 leads" (ngettext), never "lead(s)"."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from crm.models import Lead

SOURCES = [Path(settings.BASE_DIR) / folder for folder in ("campaigns", "crm", "settings")]


def test_no_message_or_page_counts_with_a_bracketed_plural():
    found = []
    for folder in SOURCES:
        for path in [*folder.rglob("*.py"), *folder.rglob("*.html")]:
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"\w\((s|es)\)", line) and not line.lstrip().startswith("#"):
                    found.append(f"{path.relative_to(settings.BASE_DIR)}:{number}")
    assert found == []


def test_the_add_to_campaign_heading_counts_the_leads(client_a, org_a, campaign_a):
    leads = [
        Lead.objects.create(organization=org_a, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(3)
    ]
    changelist = reverse("admin:crm_lead_changelist")
    page = client_a.post(
        changelist,
        {"action": "add_to_campaign", "_selected_action": [lead.pk for lead in leads]},
    ).content.decode()
    assert "Add 3 leads to a campaign" in page
    page = client_a.post(
        changelist, {"action": "add_to_campaign", "_selected_action": [leads[0].pk]}
    ).content.decode()
    assert "Add 1 lead to a campaign" in page


def test_the_launch_page_counts_one_lead_in_the_singular(client_a, campaign_a, lead_a):
    page = client_a.get(reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk]))
    assert '<strong id="plan-audience">1</strong> lead</dd>' in page.content.decode()
