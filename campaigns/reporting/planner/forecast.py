"""A campaign's finish as the launch page and the campaign page show it: its share of the
plans of the accounts it sends from, in words, with a link to each plan."""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from campaigns.models import Campaign, EmailAccount
from campaigns.reporting.planner import plans, words


@dataclass(frozen=True)
class Forecast:
    row: plans.CampaignPlan | None
    text: str  # "Finishes Thu Mar 5, 14:00, after Spring blast, which is ahead of it…"
    after: str  # "after Spring blast, which is ahead of it in the queue", or ""
    cap_now: int
    warmup_ends: Any
    accounts: list[dict[str, str]]  # the plans it is part of: address and page


def _links(accounts: list[EmailAccount]) -> list[dict[str, str]]:
    return [
        {
            "address": account.email_address,
            "url": reverse("admin:campaigns_emailaccount_plan", args=[account.pk]),
        }
        for account in accounts
    ]


def launch_forecast(campaign: Campaign, account: EmailAccount, leads: int) -> Forecast:
    """The finish of a launch not made yet, behind what already waits on the account."""
    plan = plans.account_plan(account, launch=plans.Launch(campaign, leads))
    row = plan.of(campaign)
    return Forecast(
        row=row,
        text=words.finish(row, plan.now),
        after=words.ahead(row) if row else "",
        cap_now=plan.cap_now,
        warmup_ends=plan.warmup_ends,
        accounts=_links([plan.account]),
    )


def campaign_forecast(campaign: Campaign) -> dict[str, Any]:
    """The campaign page's line (and its poll's): the planned finish, and the plans."""
    accounts = plans.accounts_of(campaign)
    row = plans.campaign_plan(campaign, accounts=accounts)
    return {"finish": words.finish(row), "accounts": _links(accounts)}
