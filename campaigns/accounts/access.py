"""Who may change a sending account: its own staff member, a manager or owner of its agency,
or a superuser. Every other member of the agency sees it, read-only: an account is a person's
mailbox, and its settings (Reply-To, limits) and its Google grant are theirs."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from campaigns.models import EmailAccount
from crm.models import Membership

# By what is refused (the verb of the action), each a sentence of its own to translate.
NOT_YOURS = {
    "make primary": _(
        "Only {owner}, a manager or the owner of {organization} can make {address} the primary "
        "sender: it is {owner}'s mailbox."
    ),
    "reconnect": _(
        "Only {owner}, a manager or the owner of {organization} can reconnect {address}: it is "
        "{owner}'s mailbox."
    ),
    "disconnect": _(
        "Only {owner}, a manager or the owner of {organization} can disconnect {address}: it "
        "is {owner}'s mailbox."
    ),
}


def may_manage(user: Any, account: EmailAccount) -> bool:
    """Whether `user` may change, disconnect, reconnect or make primary `account`."""
    if user.is_superuser:
        return True
    if not (user.is_active and user.is_staff):
        return False
    memberships = Membership.objects.filter(user=user, organization=account.organization_id)
    if account.user_id != user.pk:
        memberships = memberships.filter(role__in=Membership.EDITORS)
    return memberships.exists()


def refusal(account: EmailAccount, verb: str) -> str:
    """What a member who may not `verb` the account is told."""
    owner = account.user.get_full_name() or account.user.get_username()
    return NOT_YOURS[verb].format(
        owner=owner, organization=account.organization, address=account.email_address
    )
