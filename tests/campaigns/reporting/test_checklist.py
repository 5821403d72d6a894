"""A new agency's home shows its first steps, each ticked when done: connect Gmail,
authenticate its domain, import leads, write a first campaign, send a test. Once all are
done, it goes away."""

import re

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignStep, DomainCheck, EmailAccount, MessageLog
from crm.models import Lead

TASKS = [
    "Connect Gmail",
    "Authenticate your domain",
    "Import leads",
    "Write a first campaign",
    "Send a test",
]
ALL_GOOD = [
    {"key": key, "ok": True, "text": f"{key} in place", "fix": ""}
    for key in ("spf", "dkim", "dmarc")
]


def checklist(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    lists = {
        item["organization"]: [(task.title, task.done) for task in item["tasks"]]
        for item in response.context["checklists"]
    }
    return lists, response.content.decode()


def ticks(client, organization):
    lists, _ = checklist(client)
    return [done for _, done in lists.get(organization, [])]


def test_a_new_agency_sees_four_steps_none_ticked(client_a, org_a):
    lists, page = checklist(client_a)
    assert lists == {org_a: [(task, False) for task in TASKS]}
    box = page.split('data-checklist="sunset"')[1]
    assert "0 of 5 done" in box
    links = re.findall(r'<a class="text-primary-600 underline" href="([^"]+)">', box)
    assert links[:4] == [
        reverse("admin:campaigns_emailaccount_changelist"),
        reverse("admin:campaigns_emailaccount_changelist"),
        reverse("admin:crm_lead_import"),
        reverse("admin:campaigns_campaign_add"),
    ]


def test_each_step_is_ticked_when_done_and_the_list_goes_away_after_the_last(
    client_a, org_a, staff_a, lead_b
):
    EmailAccount.objects.create(
        organization=org_a, user=staff_a, email_address="a@sunset.example", display_name="A"
    )
    assert ticks(client_a, org_a) == [True, False, False, False, False]
    DomainCheck.objects.create(
        organization=org_a, domain="sunset.example", checked_at=timezone.now(), findings=ALL_GOOD
    )
    assert ticks(client_a, org_a) == [True, True, False, False, False]
    lead = Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com")
    assert ticks(client_a, org_a) == [True, True, True, False, False]
    campaign = Campaign.objects.create(organization=org_a, name="First")
    assert ticks(client_a, org_a) == [True, True, True, False, False]  # no step yet
    step = CampaignStep.objects.create(
        campaign=campaign, order=1, subject="Hi", body_template="<p>Hi</p>"
    )
    _, page = checklist(client_a)
    assert reverse("admin:campaigns_campaignstep_preview", args=[step.pk]) in page
    assert ticks(client_a, org_a) == [True, True, True, True, False]
    MessageLog.objects.create(
        organization=org_a, campaign=campaign, lead=lead, is_test=True, to_email="a@s.example"
    )
    lists, page = checklist(client_a)
    assert lists == {} and "Getting started" not in page


def test_another_agencys_work_ticks_nothing_of_mine(client_a, org_a, message_b):
    assert ticks(client_a, org_a) == [False, False, False, False, False]


def test_the_domain_step_says_what_is_missing_and_links_its_account(client_a, org_a, staff_a):
    account = EmailAccount.objects.create(
        organization=org_a, user=staff_a, email_address="maria@bars-homes.com", display_name="M"
    )
    missing = {
        "key": "dmarc",
        "ok": False,
        "text": "bars-homes.com has no DMARC record.",
        "fix": "Add a TXT record at _dmarc.bars-homes.com: v=DMARC1; p=none; "
        "rua=mailto:dmarc@bars-homes.com",
    }
    DomainCheck.objects.create(
        organization=org_a,
        domain="bars-homes.com",
        checked_at=timezone.now(),
        findings=[*ALL_GOOD[:2], missing],
    )
    task = next(
        task for task in _tasks(client_a, org_a) if task.title == "Authenticate your domain"
    )
    assert not task.done
    assert task.hint == (
        "bars-homes.com has no DMARC record. Add a TXT record at _dmarc.bars-homes.com: "
        "v=DMARC1; p=none; rua=mailto:dmarc@bars-homes.com"
    )
    assert task.link == reverse("admin:campaigns_emailaccount_change", args=[account.pk])


def test_a_personal_gmail_account_needs_no_domain_of_its_own(client_a, org_a, staff_a):
    EmailAccount.objects.create(
        organization=org_a, user=staff_a, email_address="maria@gmail.com", display_name="M"
    )
    assert ticks(client_a, org_a)[:2] == [True, True]


def _tasks(client, organization):
    response = client.get(reverse("admin:index"))
    return next(
        item["tasks"]
        for item in response.context["checklists"]
        if item["organization"] == organization
    )


def test_the_superuser_gets_no_checklist(admin_client_root, org_a):
    lists, page = checklist(admin_client_root)
    assert lists == {} and "Getting started" not in page
