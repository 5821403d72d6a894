"""Gmail's bulk-sender line, watched: each From domain's messages to personal Gmail and
Yahoo addresses over a rolling 24 hours, across all of the agency's accounts and campaigns,
against the 5,000 at which Gmail treats a domain as a bulk sender (and for good: its FAQ,
support.google.com/a/answer/14229414). A bulk sender must have SPF, DKIM and DMARC in
place; the send plan and the launch page show the count, and the launch page warns when a
launch would cross the line without them.

Gmail counts by the primary (organizational) domain: mail.bars-homes.com and
bars-homes.com count together. A personal gmail.com account is Google's own domain and
sends 500 a day at most: it is left out.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.accounts import domain_check, warmup
from campaigns.models import Campaign, DomainCheck, EmailAccount, MessageLog
from campaigns.outbox import claims, senders
from crm.models import Lead
from crm.site.numbers import grouped

# The mailboxes Gmail's and Yahoo's rules protect (their users' personal addresses).
PERSONAL_MAILBOXES = r"@(gmail\.com|googlemail\.com|(yahoo|ymail|rocketmail)\.[a-z.]+)$"
WARNING = _(
    "This launch would take {domain} to about {total} messages to Gmail and Yahoo addresses "
    "in 24 hours, past the {threshold} at which Gmail treats it as a bulk sender for good; "
    "and {why}. Gmail may then refuse or file its mail as spam: fix the domain first (its "
    "account page says what to add), or launch to fewer leads today."
)
NOT_CHECKED = _("its SPF, DKIM and DMARC have not been checked")


@dataclass(frozen=True)
class DomainVolume:
    """One primary domain's messages to personal Gmail and Yahoo addresses."""

    domain: str
    last_day: int  # sent in the last 24 hours (and in flight), all the agency's accounts
    adding: int  # what a launch would add within the next 24 hours (0 on the send plan)
    checks: tuple[DomainCheck, ...]  # the stored checks of its From domains
    unchecked: tuple[str, ...]  # From domains never checked

    @property
    def threshold(self) -> int:
        return int(settings.BULK_SENDER_THRESHOLD)

    @property
    def total(self) -> int:
        return self.last_day + self.adding

    @property
    def words(self) -> dict[str, str]:
        """The counts as written on the pages (1,234 in English)."""
        return {
            "last_day": grouped(self.last_day),
            "total": grouped(self.total),
            "threshold": grouped(self.threshold),
        }

    @property
    def share(self) -> int:
        """Percent of the line reached (for a bar)."""
        return min(100, round(100 * self.total / max(1, self.threshold)))

    @property
    def authenticated(self) -> bool:
        return not self.unchecked and all(check.authenticated for check in self.checks)

    @property
    def why_not(self) -> str:
        if self.unchecked:
            return str(NOT_CHECKED)
        missing = [p["text"].rstrip(".") for c in self.checks for p in domain_check.problems(c)]
        return "; ".join(missing)

    @property
    def warning(self) -> str:
        """Said on the launch page when the launch crosses the line unauthenticated."""
        if self.total < self.threshold or self.authenticated or not self.adding:
            return ""
        words = self.words
        return WARNING.format(
            domain=self.domain, total=words["total"], threshold=words["threshold"], why=self.why_not
        )


def personal_mailboxes() -> Q:
    return Q(to_email__iregex=PERSONAL_MAILBOXES)


def _domain_accounts(organization_id: Any, domain: str) -> list[EmailAccount]:
    return [
        account
        for account in EmailAccount.objects.filter(organization=organization_id)
        if not account.is_consumer_gmail
        and domain_check.organizational_domain(account.domain) == domain
    ]


def sent_last_day(
    organization_id: Any, accounts: list[EmailAccount], now: datetime.datetime
) -> int:
    """Messages of these accounts to personal mailboxes sent (or in flight) in 24 hours."""
    since = now - datetime.timedelta(hours=24)
    in_flight = Q(status=MessageLog.Status.SENDING, claimed_at__gte=since)
    return (
        MessageLog.objects.filter(
            organization=organization_id, email_account__in=accounts, is_test=False
        )
        .filter(Q(sent_at__gte=since) | in_flight)
        .filter(personal_mailboxes())
        .count()
    )


def domain_volume(
    account: EmailAccount, adding: int = 0, now: datetime.datetime | None = None
) -> DomainVolume | None:
    """The account's primary domain's volume (None for a personal gmail.com account)."""
    if account.is_consumer_gmail:
        return None
    domain = domain_check.organizational_domain(account.domain)
    accounts = _domain_accounts(account.organization_id, domain)
    from_domains = sorted({other.domain for other in accounts})
    checks = {
        check.domain: check
        for check in DomainCheck.objects.filter(
            organization=account.organization_id, domain__in=from_domains
        )
    }
    return DomainVolume(
        domain=domain,
        last_day=sent_last_day(account.organization_id, accounts, now or timezone.now()),
        adding=adding,
        checks=tuple(checks[name] for name in from_domains if name in checks),
        unchecked=tuple(name for name in from_domains if name not in checks),
    )


def launch_volumes(
    campaign: Campaign, leads: QuerySet[Lead], fallback: EmailAccount
) -> list[DomainVolume]:
    """What launching to `leads` (those it will email) adds to each From domain within the
    next 24 hours: its leads at Gmail and Yahoo addresses, as each account's cap left today
    lets them go out (a launch over the cap spreads over the next days)."""
    now = timezone.now()
    chosen = senders.Senders(campaign, fallback)
    personal = leads.filter(email__iregex=PERSONAL_MAILBOXES)
    by_account: dict[Any, int] = defaultdict(int)
    accounts: dict[Any, EmailAccount] = {}
    if campaign.send_from_agents:
        rows = personal.order_by().values("owner").annotate(count=Count("pk"))
        for row in rows:
            account = chosen.for_owner(row["owner"])
            if account is not None:
                accounts[account.pk] = account
                by_account[account.pk] += row["count"]
    else:
        accounts[fallback.pk] = fallback
        by_account[fallback.pk] = personal.count()
    adding: dict[str, int] = defaultdict(int)
    owners: dict[str, EmailAccount] = {}
    for pk, count in by_account.items():
        account = accounts[pk]
        if account.is_consumer_gmail:
            continue
        left = warmup.effective_daily_limit(account, now) - claims.sent_in_last_day(account)
        domain = domain_check.organizational_domain(account.domain)
        adding[domain] += min(count, max(0, left))
        owners.setdefault(domain, account)
    found = [domain_volume(owners[domain], adding[domain], now) for domain in sorted(adding)]
    return [volume for volume in found if volume is not None]


@dataclass(frozen=True)
class SendingDomain:
    """A From domain of a launch, as last checked (None: never checked)."""

    domain: str
    check: DomainCheck | None

    @property
    def problems(self) -> list[dict]:
        return domain_check.problems(self.check) if self.check else []


def launch_domains(campaign: Campaign, fallback: EmailAccount) -> list[SendingDomain]:
    """The From domains a launch sends from (the campaign's account, and its agents' when
    it sends from each lead's agent), personal gmail.com left out."""
    accounts = [fallback]
    if campaign.send_from_agents:
        accounts += list(
            EmailAccount.objects.filter(organization=campaign.organization_id, is_active=True)
        )
    domains = sorted({a.domain for a in accounts if not a.is_consumer_gmail})
    checks = {
        check.domain: check
        for check in DomainCheck.objects.filter(
            organization=campaign.organization_id, domain__in=domains
        )
    }
    return [SendingDomain(domain, checks.get(domain)) for domain in domains]
