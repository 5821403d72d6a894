"""A new agency's first steps, on its home: connect Gmail, import leads, write a first
campaign, send a test. Each is ticked when the data says it is done; the list goes away
once all four are."""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from campaigns.models import CampaignStep, EmailAccount, MessageLog
from crm.models import Lead, Organization
from crm.site.tenancy import organizations_of


@dataclass(frozen=True)
class Task:
    title: str
    hint: str
    done: bool
    link: str


def organization_tasks(organization: Organization) -> list[Task]:
    """The four first steps of this organization, done or not (four EXISTS queries)."""
    first_step = (
        CampaignStep.objects.filter(campaign__organization=organization)
        .order_by("campaign__created_at", "order")
        .first()
    )
    test_link = (
        reverse("admin:campaigns_campaignstep_preview", args=[first_step.pk])
        if first_step
        else reverse("admin:campaigns_campaign_add")
    )
    return [
        Task(
            "Connect Gmail",
            "The mailbox your campaigns are sent from.",
            EmailAccount.objects.filter(organization=organization, is_active=True).exists(),
            reverse("admin:campaigns_emailaccount_changelist"),
        ),
        Task(
            "Import leads",
            "Upload a CSV file from your spreadsheet or CRM.",
            Lead.objects.filter(organization=organization).exists(),
            reverse("admin:crm_lead_import"),
        ),
        Task(
            "Write a first campaign",
            "A subject and a message, for the leads you choose.",
            first_step is not None,
            reverse("admin:campaigns_campaign_add"),
        ),
        Task(
            "Send a test",
            "See the email in your own inbox before your leads do (“Preview and test”).",
            MessageLog.objects.filter(organization=organization, is_test=True).exists(),
            test_link,
        ),
    ]


def checklists(request: HttpRequest) -> list[dict[str, Any]]:
    """For the home: the checklist of each of the staff member's agencies that has not
    done all four yet. A superuser sets no agency up from the home and gets none."""
    if request.user.is_superuser:
        return []
    lists = []
    for organization in organizations_of(request.user).order_by("name"):
        tasks = organization_tasks(organization)
        if not all(task.done for task in tasks):
            done = sum(task.done for task in tasks)
            lists.append({"organization": organization, "tasks": tasks, "done": done})
    return lists
