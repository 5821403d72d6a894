"""A new agency's first steps, on its home: connect Gmail, authenticate its domain, import
leads, write a first campaign, send a test. Each is ticked when the data says it is done;
the list goes away once all five are (and comes back if the domain's check finds a record
missing)."""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaigns.accounts import domain_check
from campaigns.models import CampaignStep, DomainCheck, EmailAccount, MessageLog
from crm.models import Lead, Organization
from crm.site.tenancy import organizations_of


@dataclass(frozen=True)
class Task:
    title: Any
    hint: Any
    done: bool
    link: str


def organization_tasks(organization: Organization) -> list[Task]:
    """The five first steps of this organization, done or not (a few small queries)."""
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
            _("Connect Gmail"),
            _("The mailbox your campaigns are sent from."),
            EmailAccount.objects.filter(organization=organization, is_active=True).exists(),
            reverse("admin:campaigns_emailaccount_changelist"),
        ),
        domain_task(organization),
        Task(
            _("Import leads"),
            _("Upload a CSV file from your spreadsheet or CRM."),
            Lead.objects.filter(organization=organization).exists(),
            reverse("admin:crm_lead_import"),
        ),
        Task(
            _("Write a first campaign"),
            _("A subject and a message, for the leads you choose."),
            first_step is not None,
            reverse("admin:campaigns_campaign_add"),
        ),
        Task(
            _("Send a test"),
            _("See the email in your own inbox before your leads do (“Preview and test”)."),
            MessageLog.objects.filter(organization=organization, is_test=True).exists(),
            test_link,
        ),
    ]


DOMAIN_TITLE = _("Authenticate your domain")
DOMAIN_HINT = _("SPF, DKIM and DMARC, so that Gmail and Yahoo accept your campaigns.")
DOMAIN_UNCHECKED = _("Check {domain} on its account page (SPF, DKIM and DMARC).")
DOMAIN_PROBLEM = "{text} {fix}"


def domain_task(organization: Organization) -> Task:
    """Done when every connected account's domain was checked and has all three records
    (a personal gmail.com address is Google's own). The hint is the first thing missing,
    with the record to add, and the link its account's page."""
    accounts = EmailAccount.objects.filter(organization=organization, is_active=True)
    changelist = reverse("admin:campaigns_emailaccount_changelist")
    own = [
        account for account in accounts.order_by("email_address") if not account.is_consumer_gmail
    ]
    checks = {
        check.domain: check
        for check in DomainCheck.objects.filter(
            organization=organization, domain__in={account.domain for account in own}
        )
    }
    if not accounts.exists():
        return Task(DOMAIN_TITLE, DOMAIN_HINT, False, changelist)
    for account in own:
        page = reverse("admin:campaigns_emailaccount_change", args=[account.pk])
        check = checks.get(account.domain)
        if check is None:
            return Task(DOMAIN_TITLE, DOMAIN_UNCHECKED.format(domain=account.domain), False, page)
        found = domain_check.problems(check)
        if found:
            hint = DOMAIN_PROBLEM.format(text=found[0]["text"], fix=found[0]["fix"]).strip()
            return Task(DOMAIN_TITLE, hint, False, page)
    return Task(DOMAIN_TITLE, DOMAIN_HINT, True, changelist)


def checklists(request: HttpRequest) -> list[dict[str, Any]]:
    """For the home: the checklist of each of the staff member's agencies that has not
    done all five yet. A superuser sets no agency up from the home and gets none."""
    if request.user.is_superuser:
        return []
    lists = []
    for organization in organizations_of(request.user).order_by("name"):
        tasks = organization_tasks(organization)
        if not all(task.done for task in tasks):
            done = sum(task.done for task in tasks)
            lists.append({"organization": organization, "tasks": tasks, "done": done})
    return lists
