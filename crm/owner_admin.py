"""The leads list's part in agents: the filter by agent, and the bulk action "Assign to
agent…" with its confirmation page. Both offer only members of the staff member's own
organizations."""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from unfold.contrib.filters.admin import DropdownFilter
from unfold.decorators import display

from crm.models import Lead
from crm.owners import agent_name, leads_assign, members_of
from crm.site.numbers import grouped
from crm.site.tenancy import organization_ids

NO_AGENT = "none"
CHOOSE_AN_AGENT = _("Choose an agent of these leads' agency.")
# Counted by "count" (a number), written with "n" (grouped as the language writes numbers).
ASSIGNED = ngettext_lazy(
    "%(n)s lead now has %(agent)s as agent.", "%(n)s leads now have %(agent)s as agent.", "count"
)
UNASSIGNED = ngettext_lazy(
    "%(n)s lead no longer has an agent.", "%(n)s leads no longer have an agent.", "count"
)
LEFT_OUT = ngettext_lazy(
    " %(n)s lead of another agency was left as it was.",
    " %(n)s leads of another agency were left as they were.",
    "count",
)


def _member(members: QuerySet, value: Any) -> Any:
    """The member whose id is `value`, or None (a malformed or foreign id alike)."""
    return members.filter(pk=int(value)).first() if str(value or "").isdigit() else None


class OwnerFilter(DropdownFilter):
    """Leads by agent, or those without one."""

    title = _("agent")
    parameter_name = "agent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        members = members_of(organization_ids(request))
        return [
            (NO_AGENT, str(_("No agent"))),
            *((str(user.pk), agent_name(user)) for user in members),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        value = self.value()
        if not value:
            return queryset
        if value == NO_AGENT:
            return queryset.filter(owner__isnull=True)
        member = _member(members_of(organization_ids(request)), value)
        return queryset.filter(owner=member) if member else queryset.none()


@display(description=_("Agent"), ordering="owner__first_name")
def agent_column(lead: Lead) -> str:
    return agent_name(lead.owner) if lead.owner_id else "–"


def assign_to_agent(model_admin: Any, request: HttpRequest, queryset: QuerySet[Lead]) -> Any:
    """The action: a page to pick the agent (a form posted back with the CSRF token), then
    the leads assigned, those of another agency than the agent's left out."""
    organizations = (
        queryset.order_by()
        .filter(organization__in=organization_ids(request))
        .values("organization")
        .distinct()
    )
    members = members_of(organizations)
    choice = request.POST.get("agent", "")
    if "apply" in request.POST:
        owner = None if choice == NO_AGENT else _member(members, choice)
        if owner is not None or choice == NO_AGENT:
            result = leads_assign(leads=queryset, owner=owner)
            model_admin.message_user(request, _assigned_note(owner, result), messages.SUCCESS)
            return None
        messages.error(request, CHOOSE_AN_AGENT)
    count = queryset.count()
    select_across = request.POST.get("select_across") == "1"
    return render(
        request,
        "admin/crm/lead/assign_agent.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": _("Assign to an agent"),
            "breadcrumbs": [Lead, _("Assign to an agent")],
            "agents": [(user.pk, agent_name(user), user.email) for user in members],
            "no_agent": NO_AGENT,
            "count": count,
            "select_across": select_across,
            "lead_ids": [] if select_across else list(queryset.values_list("pk", flat=True)),
        },
    )


def _assigned_note(owner: Any, result: Any) -> str:
    n = result.assigned
    if owner is None:
        note = UNASSIGNED % {"count": n, "n": grouped(n)}
    else:
        note = ASSIGNED % {"count": n, "n": grouped(n), "agent": agent_name(owner)}
    if result.left_out:
        note += LEFT_OUT % {"count": result.left_out, "n": grouped(result.left_out)}
    return note


def scope_owner_field(field: Any, request: HttpRequest) -> Any:
    """The lead form's agent: a choice among the members of the staff member's agencies,
    by name (the model refuses one of another agency than the lead's)."""
    field.queryset = members_of(organization_ids(request))
    field.label_from_instance = agent_name
    return field
