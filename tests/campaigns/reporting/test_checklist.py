"""A new agency's home shows its first steps, each ticked when done: connect Gmail,
import leads, write a first campaign, send a test. Once all are done, it goes away."""

import re

from django.urls import reverse

from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from crm.models import Lead

TASKS = ["Connect Gmail", "Import leads", "Write a first campaign", "Send a test"]


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
    assert "0 of 4 done" in box
    links = re.findall(r'<a class="text-primary-600 underline" href="([^"]+)">', box)
    assert links[:3] == [
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
    assert ticks(client_a, org_a) == [True, False, False, False]
    lead = Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com")
    assert ticks(client_a, org_a) == [True, True, False, False]
    campaign = Campaign.objects.create(organization=org_a, name="First")
    assert ticks(client_a, org_a) == [True, True, False, False]  # not written yet: no step
    step = CampaignStep.objects.create(
        campaign=campaign, order=1, subject="Hi", body_template="<p>Hi</p>"
    )
    _, page = checklist(client_a)
    assert reverse("admin:campaigns_campaignstep_preview", args=[step.pk]) in page
    assert ticks(client_a, org_a) == [True, True, True, False]
    MessageLog.objects.create(
        organization=org_a, campaign=campaign, lead=lead, is_test=True, to_email="a@s.example"
    )
    lists, page = checklist(client_a)
    assert lists == {} and "Getting started" not in page


def test_another_agencys_work_ticks_nothing_of_mine(client_a, org_a, message_b):
    assert ticks(client_a, org_a) == [False, False, False, False]


def test_the_superuser_gets_no_checklist(admin_client_root, org_a):
    lists, page = checklist(admin_client_root)
    assert lists == {} and "Getting started" not in page
