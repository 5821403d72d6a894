"""The account's Plan page: its next 7 days by campaign, each campaign's finish, and its
cap each day (a warm-up shows as a rising cap). Read-only."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from campaigns.models import EmailAccount
from campaigns.reporting import bulk_senders
from campaigns.reporting.planner import chart, plans, words


def plan_page(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    account = model_admin.get_object(request, object_id)  # scoped to the staff's agencies
    if account is None:
        raise Http404(_("No such account."))
    plan = plans.account_plan(account)
    planned = [row for row in plan.campaigns if row.first_send]
    rows = [
        {
            "plan": row,
            "colour": chart.colour_of(planned.index(row)) if row.first_send else "",
            "finish": words.finish(row, plan.now),
        }
        for row in plan.campaigns
    ]
    return render(
        request,
        "admin/campaigns/emailaccount/plan.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": EmailAccount._meta,
            "title": _("Send plan of {address}").format(address=account.email_address),
            "breadcrumbs": [EmailAccount, account, _("Plan")],
            "account": plan.account,
            "plan": plan,
            "rows": rows,
            "chart": chart.plan_by_day(plan),
            "chart_options": chart.options(),
            "days": len(plan.days),
            # Gmail's bulk-sender line for the account's domain (all the agency's accounts).
            "bulk": bulk_senders.domain_volume(account),
        },
    )
