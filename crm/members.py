"""Staff joining an organization: the membership that scopes what they see, and the staff
group that carries the model permissions Django's own admin parts check (the steps on the
campaign page, for one)."""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from crm.models import Membership, Organization

# Made by campaigns/migrations/0006_step_name_and_staff_group.py (which keeps its own copy
# of this list, as a migration must not change with the code), or on first use after a
# database flush.
STAFF_GROUP = "Agency staff"
STAFF_PERMISSIONS = {
    ("crm", "lead"): ["view", "add", "change", "delete"],
    ("crm", "property"): ["view", "add", "change", "delete"],
    ("crm", "suppressedaddress"): ["view", "add", "change", "delete"],
    ("crm", "organization"): ["view"],
    ("campaigns", "campaign"): ["view", "add", "change", "delete"],
    ("campaigns", "campaignstep"): ["view", "add", "change", "delete"],
    ("campaigns", "emailaccount"): ["view", "change", "delete"],
    ("campaigns", "enrollment"): ["view"],
    ("campaigns", "messagelog"): ["view"],
}


def membership_create(
    *, user: Any, organization: Organization, role: str = Membership.Role.AGENT
) -> Membership:
    """The user's membership of the organization (kept as it is when it exists)."""
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    staff_group_join(user)
    return membership


def staff_group_join(*users: Any) -> None:
    group, created = Group.objects.get_or_create(name=STAFF_GROUP)
    if created:
        wanted = Q()
        for (app_label, model), actions in STAFF_PERMISSIONS.items():
            codenames = [f"{action}_{model}" for action in actions]
            wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*Permission.objects.filter(wanted))
    group.user_set.add(*users)
