"""Each lead's agent (Lead.owner): who may be one, how an import names one, and assigning
many leads at once. An agent is always a member of the lead's organization."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from crm.models import Lead, Organization

NO_AGENT = "no agent named “{value}” in {organization}: imported without an agent"
AMBIGUOUS_AGENT = (
    "“{value}” could be {names}: write the agent's email address instead; imported without an agent"
)


def members_of(organizations: Any) -> QuerySet:
    """The users who belong to any of `organizations` (a queryset or a list of ids)."""
    return (
        get_user_model()
        .objects.filter(memberships__organization__in=organizations)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def agent_name(user: Any) -> str:
    """How staff read an agent: their full name, else their username."""
    return user.get_full_name() or user.get_username()


class AgentNotFound(ValueError):
    """An import's agent cell names nobody, or several members; the message says which."""


class MemberLookup:
    """An organization's members by email address, full name, first name and username, in
    any case: what an import's `agent` column may hold. Read once per import."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, set[int]] = {}
        self.names: dict[int, str] = {}
        for user in members_of([organization.pk]):
            self.names[user.pk] = agent_name(user)
            if user.email:
                self.by_email[user.email.lower()] = user.pk
            for name in {user.get_full_name(), user.first_name, user.get_username()}:
                if name.strip():
                    self.by_name.setdefault(" ".join(name.lower().split()), set()).add(user.pk)

    def match(self, value: str) -> int:
        """The id of the member `value` names; AgentNotFound when none or several do."""
        text = " ".join(value.lower().split())
        if text in self.by_email:
            return self.by_email[text]
        found = self.by_name.get(text, set())
        if len(found) == 1:
            return next(iter(found))
        if found:
            names = " or ".join(sorted(self.names[pk] for pk in found))
            raise AgentNotFound(AMBIGUOUS_AGENT.format(value=value, names=names))
        raise AgentNotFound(NO_AGENT.format(value=value, organization=self.organization))


@dataclass(frozen=True)
class Assigned:
    """What a bulk assignment did: leads given the agent, leads left out (of an organization
    the agent does not belong to)."""

    assigned: int
    left_out: int


def leads_assign(*, leads: QuerySet[Lead], owner: Any | None) -> Assigned:
    """Give `leads` the agent `owner` (None: no agent). Leads of an organization `owner`
    is not a member of are left as they are: an agent only looks after their agency's."""
    total = leads.count()
    if owner is not None:
        leads = leads.filter(organization__memberships__user=owner)
    changed = Lead.objects.filter(pk__in=leads.values("pk")).update(
        owner=owner, updated_at=timezone.now()
    )
    return Assigned(assigned=changed, left_out=total - changed)
