"""A fault test's world: the Gmail stand-in, a database of its own on the shared cluster,
the processes it starts (senders, gunicorn, n8n: tests/scale/engines.py), and the agency
it sends for, made through Django in this process. `settle` waits for the run to end."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import User
from django.db import DatabaseError, connections
from django.db.models import Count

from bench.gmail_standin import QuotaStandIn
from campaigns.launching import blasts
from campaigns.models import Campaign, CampaignStep, Dispatch, EmailAccount, MessageLog
from campaigns.outbox import claims
from crm.members import membership_create
from crm.models import Lead, Organization
from tests.faults.cluster import Cluster
from tests.scale import engines
from tests.scale.processes import Fleet

Status = MessageLog.Status
# The promise: sending resumes by itself within two minutes of a fault's end.
RECOVERY_SECONDS = 120.0
POLL_SECONDS = 0.5


def lead_address(number: int) -> str:
    return f"lead-{number}@example.com"


@dataclass
class Cast:
    """The agency: its accounts by key, its leads' count, its campaigns by key."""

    organization: Organization
    accounts: dict[str, EmailAccount]
    leads: int
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    refused: frozenset[str] = frozenset()  # addresses Gmail refuses (a permanent failure)


@dataclass
class World:
    """What one fault test has: `fleet` stops everything it started when the test ends."""

    cluster: Cluster
    database: str
    standin: QuotaStandIn
    env: dict[str, str]
    fleet: Fleet
    logs: Path
    var: Path
    quota_per_minute: int

    # The agency -------------------------------------------------------------------------

    def agency(
        self,
        *,
        leads: int,
        accounts: dict[str, int],
        provider: str = EmailAccount.Provider.GMAIL,
        refused: Sequence[int] = (),
    ) -> Cast:
        """An agency, its staff member, an account per key (with that daily cap; known to
        the stand-in when they are Gmail's), and `leads` leads; `refused` numbers the leads
        whose address Gmail refuses (400)."""
        refused_addresses = frozenset(map(lead_address, refused))
        self.standin.reject_recipients = refused_addresses
        organization = Organization.objects.create(
            name="Fault Realty", slug="fault", postal_address="1 Main St, Springfield"
        )
        staff = User.objects.create_user("fault", "fault@example.com", "x", is_staff=True)
        membership_create(user=staff, organization=organization, role="owner")
        made = {}
        for key, cap in accounts.items():
            address = f"agent-{key}@gmail.example"
            refresh = ""
            if provider == EmailAccount.Provider.GMAIL:
                refresh, _ = self.standin.add_user(address)  # our cap, not Gmail's, is tested
            made[key] = EmailAccount.objects.create(
                organization=organization,
                user=staff,
                email_address=address,
                display_name=f"Agent {key.upper()}",
                provider=provider,
                refresh_token=refresh,  # each process refreshes it at its first send
                daily_limit=cap,
            )
        Lead.objects.bulk_create(
            Lead(organization=organization, name=f"Lead {n}", email=lead_address(n))
            for n in range(leads)
        )
        return Cast(organization, made, leads, refused=refused_addresses)

    def blast(self, cast: Cast, key: str, account: str) -> Campaign:
        """A one-step blast campaign to every lead, from the account."""
        campaign = Campaign.objects.create(
            organization=cast.organization,
            name=f"Blast {key}",
            email_account=cast.accounts[account],
        )
        CampaignStep.objects.create(
            campaign=campaign,
            subject=f"{key}: news for {{{{ lead.name }}}}",
            body_template="<p>Hello {{ lead.name }}, three new listings this week.</p>",
        )
        cast.campaigns[key] = campaign
        return campaign

    def launch(self, campaign: Campaign) -> Dispatch:
        """Launched here, through the admin's service: the direct driver (n8n is not set)."""
        return blasts.campaign_launch(campaign=campaign)

    # The processes ----------------------------------------------------------------------

    def senders(self, count: int = 2, prefix: tuple[str, ...] = (), first: int = 1) -> list[str]:
        return engines.start_senders(self.fleet, self.env, count, prefix, first)

    def gunicorn(self, workers: int = 2, **env: str) -> str:
        return engines.start_gunicorn(self.fleet, {**self.env, **env}, workers)

    # Waiting ----------------------------------------------------------------------------

    def wait_for(self, what: str, ready: Callable[[], bool], seconds: float) -> float:
        """Poll until `ready()`; returns the time.monotonic() it became true."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if ready():
                return time.monotonic()
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"{what}: not after {seconds:.0f} s; {counts()}\n{self.fleet.tails()}")

    def settle(self, cast: Cast, after: float, seconds: float = RECOVERY_SECONDS) -> float:
        """Wait until the run has settled (`settled`), at most `seconds` after `after` (a
        time.monotonic(): the fault's end); returns when it settled."""
        left = after + seconds - time.monotonic()
        return self.wait_for("the run settled", lambda: settled(cast), max(left, 1.0))

    def reconnect(self) -> None:
        """This process's connections to the database, after the server went away."""
        for connection in connections.all():
            connection.close()


def at_cap(account: EmailAccount) -> bool:
    return claims.sent_in_last_day(account) >= account.daily_limit


def settled(cast: Cast) -> bool:
    """Nothing more can happen today: no launch still queuing, nothing in flight, and what
    is still queued waits for an account at its daily cap."""
    try:
        if Dispatch.objects.filter(queuing=True).exists():
            return False
        if MessageLog.objects.filter(status=Status.SENDING).exists():
            return False
        for account in cast.accounts.values():
            waiting = MessageLog.objects.filter(email_account=account, status=Status.QUEUED)
            if waiting.exists() and not at_cap(account):
                return False
    except DatabaseError:  # the database is restarting: not settled yet
        connections["default"].close()
        return False
    return True


def counts() -> dict[str, int]:
    """How many messages are in each status now."""
    try:
        rows = MessageLog.objects.order_by().values("status").annotate(n=Count("pk"))
        return {row["status"]: row["n"] for row in rows}
    except DatabaseError as error:
        connections["default"].close()
        return {"unreadable": 1, type(error).__name__: 1}


def sent_count() -> int:
    return MessageLog.objects.filter(status=Status.SENT).count()
