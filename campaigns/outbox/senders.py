"""Who sends each message, decided here only. A campaign sends from its own account, or the
organization's primary one when it names none (`sending_account`), unless it is set to send
from each lead's agent: then a lead with an agent (Lead.owner) gets it from the agent's
connected Gmail account, and the others from the campaign's.

An agent's account is an active account of the lead's organization that the agent connected
(EmailAccount.user), while the agent is a member of it: their account if it is the primary,
else the first they connected. One that needs reconnecting is still theirs: their messages
wait for it (the launch page warns), rather than leave from an address the lead does not
know. One that was disconnected is not: the campaign's account sends instead.

The choice is made when a message is queued (the launch's INSERT ... SELECT, the sequence
tick) and kept on the row: the claim renders and sends through that account, and replies
are read in its mailbox.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Q, QuerySet, UUIDField, Value, When
from django.utils.translation import ngettext

from campaigns.audiences import audience
from campaigns.models import Campaign, EmailAccount, MessageLog
from campaigns.outbox import claims
from crm.models import Lead
from crm.owners import agent_name

TODAY = "today"
WAITS = "waits until it is reconnected"
PRIMARY = "primary account"
CAMPAIGN_ACCOUNT = "campaign's account"
ALSO = "{agent} (also the {fallback})"
# One Gmail that is both an agent's and the campaign's: whose leads it sends to, each named.
BOTH = (
    "{agent}, also the {fallback}: {count} ({theirs} of {agent}'s, {others} without an "
    "agent's Gmail), {when}"
)
NEEDS_RECONNECT = (
    "{agent}'s Gmail ({address}) needs reconnecting: {count} waits until {agent} "
    "reconnects it (Email accounts → Reconnect)."
)
NO_ACCOUNT = "{agents} {verb} no connected Gmail: {leads} from the {fallback}."


def primary_account(organization_id: Any) -> EmailAccount | None:
    """The organization's default sender: its primary account, while it is active."""
    return EmailAccount.objects.filter(
        organization=organization_id, is_primary=True, is_active=True
    ).first()


def sending_account(campaign: Campaign) -> EmailAccount | None:
    """The account the campaign sends from: its own, else the organization's primary one
    (and each lead's agent's instead, when it sends from agents: see `Senders`)."""
    return campaign.email_account or primary_account(campaign.organization_id)


def sending_from(account: EmailAccount) -> Q:
    """The campaigns `sending_account` gives this account: those that name it, and, for the
    active primary account, those of its organization that name none."""
    mine = Q(email_account=account)
    if account.is_primary and account.is_active:
        mine |= Q(email_account__isnull=True, organization=account.organization_id)
    return mine


def _agents_of(organization_id: Any) -> QuerySet[EmailAccount]:
    """The organization's accounts that belong to its members, best first per member."""
    return (
        EmailAccount.objects.filter(
            organization=organization_id,
            is_active=True,
            user__memberships__organization=organization_id,
        )
        .select_related("user")
        .order_by("-is_primary", "created_at", "pk")
    )


def agent_accounts(organization_id: Any) -> dict[int, EmailAccount]:
    """{agent's user id: the account their leads get messages from}."""
    found: dict[int, EmailAccount] = {}
    for account in _agents_of(organization_id):
        found.setdefault(account.user_id, account)
    return found


def agent_account(organization_id: Any, user_id: Any) -> EmailAccount | None:
    """The account an agent's leads get messages from, if they have one."""
    return _agents_of(organization_id).filter(user=user_id).first() if user_id else None


def account_for(
    campaign: Campaign, lead: Lead, fallback: EmailAccount | None
) -> EmailAccount | None:
    """The account that sends the campaign to this lead (the preview, the test send)."""
    if not campaign.send_from_agents:
        return fallback
    return agent_account(campaign.organization_id, lead.owner_id) or fallback


class Senders:
    """The accounts of one campaign's messages, read once (a chunk, a tick)."""

    def __init__(self, campaign: Campaign, fallback: EmailAccount | None) -> None:
        self.fallback = fallback
        self.agents = agent_accounts(campaign.organization_id) if campaign.send_from_agents else {}

    def for_owner(self, owner_id: Any) -> EmailAccount | None:
        return self.agents.get(owner_id, self.fallback)

    def column(self) -> Any:
        """The email_account column of an INSERT ... SELECT over leads: the fallback's id,
        or a CASE on the lead's owner (one branch per agent with an account)."""
        fallback_id = self.fallback.pk if self.fallback else None
        whens = [
            When(owner=user_id, then=Value(account.pk, output_field=UUIDField()))
            for user_id, account in self.agents.items()
            if account.pk != fallback_id
        ]
        if not whens:
            return fallback_id
        default = Value(fallback_id, output_field=UUIDField())
        return Case(*whens, default=default, output_field=UUIDField())


def thread_account(first: MessageLog, account: EmailAccount | None) -> EmailAccount | None:
    """The account a follow-up in `first`'s Gmail thread must go from: the mailbox that holds
    the thread (the lead's agent may have changed since), while it is connected; None when
    it is not, and the follow-up starts a thread of its own from `account`."""
    sender = first.email_account
    if sender is None or account is None or sender.pk == account.pk:
        return account
    return sender if sender.is_active else None


@dataclass
class Share:
    """What one account sends of a launch, and how long its daily cap makes that take."""

    label: str
    account: EmailAccount
    leads: int = 0
    remaining_today: int = 0
    # The account is an agent's and the campaign's: the agent, and how many of the leads
    # are the agent's (the rest have no agent, or one without a connected Gmail).
    agent: str = ""
    agents_leads: int = 0
    fallback: str = ""

    @property
    def days(self) -> int:
        """Days of sending: what is left of today's cap first, then a full cap a day."""
        if self.leads <= self.remaining_today:
            return 1
        return 1 + math.ceil((self.leads - self.remaining_today) / max(1, self.account.daily_limit))

    @property
    def when(self) -> str:
        if self.account.needs_reconnect:
            return WAITS
        return TODAY if self.days == 1 else f"{self.days} days"

    def __str__(self) -> str:
        count = ngettext("%(n)s lead", "%(n)s leads", self.leads) % {"n": f"{self.leads:,}"}
        others = self.leads - self.agents_leads
        if self.agent and self.agents_leads and others:
            return BOTH.format(
                agent=self.agent,
                fallback=self.fallback,
                count=count,
                theirs=f"{self.agents_leads:,}",
                others=f"{others:,}",
                when=self.when,
            )
        if self.agent and self.agents_leads:
            return f"{ALSO.format(agent=self.agent, fallback=self.fallback)}: {count}, {self.when}"
        return f"{self.label}: {count}, {self.when}"


@dataclass
class Split:
    """A launch from each lead's agent: each account's share, and what staff should know."""

    shares: list[Share] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(str(share) for share in self.shares)


def _messages(count: int) -> str:
    return ngettext("%(n)s message", "%(n)s messages", count) % {"n": f"{count:,}"}


def launch_split(
    campaign: Campaign, leads: QuerySet[Lead], fallback: EmailAccount | None
) -> Split | None:
    """How a launch from each lead's agent spreads over the accounts (None when the campaign
    sends from one account): "Maria: 412 leads, 2 days; Tom: 88 leads, today; primary
    account: 37 leads, today", with warnings for agents whose account needs reconnecting
    and agents who have none. Counts leave out the leads skipped (opted out, no consent)."""
    if not campaign.send_from_agents:
        return None
    senders = Senders(campaign, fallback)
    fallback_label = CAMPAIGN_ACCOUNT if campaign.email_account_id else PRIMARY
    counts = (
        leads.exclude(audience.suppressed(campaign))
        .order_by()
        .values("owner")
        .annotate(count=Count("pk"))
    )
    shares: dict[Any, Share] = {}
    without: dict[Any, int] = defaultdict(int)  # agents with no account: their leads
    for row in counts:
        owner, count = row["owner"], row["count"]
        account = senders.for_owner(owner)
        if account is None:
            continue  # nothing sends to them: the launch is refused (dispatch.NO_ACCOUNT)
        if owner is not None and owner not in senders.agents:
            without[owner] += count
        is_agent = owner in senders.agents
        label = agent_name(account.user) if is_agent else fallback_label
        share = shares.setdefault(account.pk, Share(label, account))
        if account == fallback:
            # Named the agent's only for the agent's own leads (the others have none).
            share.label, share.fallback = fallback_label, fallback_label
            if is_agent:
                share.agent = label
                share.agents_leads += count
        share.leads += count
    for share in shares.values():
        share.remaining_today = max(
            0, share.account.daily_limit - claims.sent_in_last_day(share.account)
        )
    split = Split(sorted(shares.values(), key=lambda share: (-share.leads, share.label)))
    for share in split.shares:
        if share.account.needs_reconnect:
            split.warnings.append(
                NEEDS_RECONNECT.format(
                    agent=agent_name(share.account.user),
                    address=share.account.email_address,
                    count=_messages(share.leads),
                )
            )
    if without:
        split.warnings.append(_without_accounts(without, fallback_label))
    return split


def _without_accounts(without: dict[Any, int], fallback_label: str) -> str:
    users = get_user_model().objects.filter(pk__in=list(without)).order_by("first_name", "pk")
    count = sum(without.values())
    leads = ngettext("their %(n)s lead gets it", "their %(n)s leads get it", count)
    return NO_ACCOUNT.format(
        agents=", ".join(agent_name(user) for user in users),
        verb="has" if len(without) == 1 else "have",
        leads=leads % {"n": f"{count:,}"},
        fallback=fallback_label,
    )
