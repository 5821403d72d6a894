"""Is a sending domain set up the way Gmail and Yahoo ask of senders (SPF, DKIM, DMARC)?
Read from DNS through dnspython, asking the servers of settings.DNS_RESOLVERS (the
machine's own when empty), and said in plain words with what to add.

A check is stored (DomainCheck) with its time: the account page, the home's checklist and
the launch page show the stored result and never wait on DNS. It runs when staff press
"Check the domain" on an account, and from `manage.py check_domains` (cron, daily).

What is read (docs/compliance.md has the sources):
- SPF: the TXT record of the domain starting "v=spf1" (RFC 7208); two are an error
  (§ 4.5); Google's servers are `include:_spf.google.com`.
- DKIM: TXT at `<selector>._domainkey.<domain>` for Google Workspace's default selector
  `google` and each selector staff add on the account; a key under 1,024 bits is too short
  for Gmail.
- DMARC: TXT at `_dmarc.<domain>`, else at its organizational domain (RFC 7489 § 6.6.3),
  starting "v=DMARC1" with a policy (p=none is enough for Gmail and Yahoo).
A personal gmail.com address is Google's own domain: nothing to check.
"""

import base64
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.nameserver
import dns.resolver
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from publicsuffixlist import PublicSuffixList

from campaigns.models import CONSUMER_GMAIL_DOMAINS, DomainCheck, EmailAccount
from crm.models import Organization

GOOGLE_SELECTOR = "google"
GOOGLE_SPF = "include:_spf.google.com"
MIN_DKIM_BITS = 1024
_SUFFIXES = PublicSuffixList()

# What each finding says, and what to add (plain words for staff; the record to copy), in
# the reader's language: findings are written again from the stored records when read.
SPF_OK = _("{domain} has an SPF record that lets Google's servers send for it.")
SPF_MISSING = _("{domain} has no SPF record.")
SPF_MISSING_FIX = _("Add a TXT record at {domain}: v=spf1 include:_spf.google.com ~all")
SPF_TWO = _("{domain} has {count} SPF records; receivers then ignore them all.")
SPF_TWO_FIX = _("Keep one TXT record starting v=spf1, with every sender's include in it.")
SPF_NO_GOOGLE = _("{domain}'s SPF record does not name Google's servers.")
SPF_NO_GOOGLE_FIX = _("Add include:_spf.google.com to the TXT record at {domain}: {record}")
SPF_ALLOWS_ALL = _("{domain}'s SPF record ends in +all: it lets anyone send as {domain}.")
SPF_ALLOWS_ALL_FIX = _("End the record with ~all (or -all) instead of +all.")
DKIM_OK = _("{domain} publishes a DKIM key ({selectors}).")
DKIM_MISSING = _("{domain} has no DKIM key at {names}.")
DKIM_MISSING_FIX = _(
    "In the Google Admin console (Apps › Google Workspace › Gmail › Authenticate email), "
    "generate a 2048-bit key and add the TXT record it shows at google._domainkey.{domain}, "
    "then press Start authentication. Another selector? Add it to this account."
)
DKIM_SHORT = _("{domain}'s DKIM key at {name} has {bits} bits: Gmail asks for 1,024 at least.")
DKIM_SHORT_FIX = _("Generate a new 2048-bit key in the Google Admin console and replace it.")
DMARC_OK = _("{domain} has a DMARC record ({policy}).")
DMARC_MISSING = _("{domain} has no DMARC record.")
DMARC_MISSING_FIX = _(
    "Add a TXT record at _dmarc.{domain}: v=DMARC1; p=none; rua=mailto:dmarc@{domain}"
)
DMARC_NO_POLICY = _("{domain}'s DMARC record has no policy (p=).")
DMARC_NO_POLICY_FIX = _("Make the TXT record at _dmarc.{domain}: v=DMARC1; p=none; {rest}")
DNS_FAILED = _("DNS did not answer for {domain} ({error}); the check can be run again.")
CONSUMER = _(
    "{domain} is Google's own domain: Google publishes its SPF, DKIM and DMARC. A personal "
    "Gmail account sends 500 messages a day at most, and a campaign from it shows a "
    "personal address."
)


@dataclass(frozen=True)
class Finding:
    key: str
    ok: bool
    text: str
    fix: str = ""

    def __post_init__(self) -> None:
        # Written now, in the active language (a lazy text would be read later in another).
        object.__setattr__(self, "text", str(self.text))
        object.__setattr__(self, "fix", str(self.fix))

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "ok": self.ok, "text": self.text, "fix": self.fix}


class LookupFailed(Exception):
    """DNS could not be asked (no answer in time, no server): nothing is concluded."""


def resolver() -> dns.resolver.Resolver:
    """dnspython's resolver on the servers of settings.DNS_RESOLVERS ("address" or
    "address:port"; "[v6 address]:port"), or the machine's own."""
    configured = settings.DNS_RESOLVERS
    found = dns.resolver.Resolver(configure=not configured)
    if configured:
        found.nameservers = [_nameserver(item) for item in configured]
    found.timeout = found.lifetime = settings.DNS_TIMEOUT_SECONDS
    return found


def _nameserver(item: str) -> dns.nameserver.Nameserver:
    host, port = item, 53
    if item.startswith("["):
        host, _, rest = item[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif item.count(":") == 1:
        host, _, number = item.partition(":")
        port = int(number)
    return dns.nameserver.Do53Nameserver(host, port)


def txt_records(name: str, ask: dns.resolver.Resolver) -> list[str]:
    """The TXT strings at `name` (each record's parts joined); none when it has none."""
    try:
        answer = ask.resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as error:
        raise LookupFailed(type(error).__name__) from error
    return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]


def organizational_domain(domain: str) -> str:
    """The registered domain (bars-homes.co.uk for mail.bars-homes.co.uk), from the Public
    Suffix List: what DMARC falls back to and what Gmail's bulk-sender count groups by."""
    return _SUFFIXES.privatesuffix(domain.lower()) or domain.lower()


def check_domain(
    organization: Organization, domain: str, selectors: Sequence[str] = ()
) -> DomainCheck:
    """Read the domain's records now and store what they say (replacing the last check)."""
    domain = domain.lower().strip(".")
    ask = resolver()
    try:
        spf = [r for r in txt_records(domain, ask) if r.lower().startswith("v=spf1")]
        names = [GOOGLE_SELECTOR, *(s for s in selectors if s != GOOGLE_SELECTOR)]
        dkim = {}
        for selector in names:
            keys = txt_records(f"{selector}._domainkey.{domain}", ask)
            dkim[selector] = next((k for k in keys if "p=" in k), "")
        dmarc = _dmarc_records(domain, ask)
    except LookupFailed as error:
        return check_record(
            organization, domain, error=DNS_FAILED.format(domain=domain, error=error)
        )
    return check_record(organization, domain, spf=spf, dkim=dkim, dmarc=dmarc[:1])


def check_record(
    organization: Organization,
    domain: str,
    *,
    spf: Sequence[str] = (),
    dkim: dict[str, str] | None = None,
    dmarc: Sequence[str] = (),
    error: str = "",
    at: datetime.datetime | None = None,
) -> DomainCheck:
    """Store what a domain's records say (as DNS gave them, or as the demo has them), with
    the findings in words; the domain's last check is replaced."""
    dkim = dkim if dkim is not None else {GOOGLE_SELECTOR: ""}
    record = dmarc[0] if dmarc else ""
    findings = (
        []
        if error
        else [
            _spf_finding(domain, list(spf)),
            _dkim_finding(domain, dkim),
            _dmarc_finding(domain, record),
        ]
    )
    check, _created = DomainCheck.objects.update_or_create(
        organization=organization,
        domain=domain,
        defaults={
            "spf": "\n".join(spf),
            "dkim": dkim,
            "dmarc": record,
            "error": error,
            "checked_at": at or timezone.now(),
            "findings": [finding.as_dict() for finding in findings],
        },
    )
    return check


def check_account(account: EmailAccount) -> DomainCheck | None:
    """The account's domain checked now; None for a personal gmail.com address."""
    if account.is_consumer_gmail:
        return None
    selectors = [
        selector
        for other in EmailAccount.objects.filter(organization=account.organization_id)
        if other.domain == account.domain
        for selector in other.dkim_selector_list()
    ]
    return check_domain(account.organization, account.domain, sorted(set(selectors)))


def _dmarc_records(domain: str, ask: dns.resolver.Resolver) -> list[str]:
    records = [r for r in txt_records(f"_dmarc.{domain}", ask) if r.startswith("v=DMARC1")]
    parent = organizational_domain(domain)
    if not records and parent != domain:
        records = [r for r in txt_records(f"_dmarc.{parent}", ask) if r.startswith("v=DMARC1")]
    return records


def _spf_finding(domain: str, records: list[str]) -> Finding:
    if not records:
        return Finding(
            "spf", False, SPF_MISSING.format(domain=domain), SPF_MISSING_FIX.format(domain=domain)
        )
    if len(records) > 1:
        return Finding(
            "spf", False, SPF_TWO.format(domain=domain, count=len(records)), str(SPF_TWO_FIX)
        )
    record = records[0]
    terms = record.lower().split()
    if "+all" in terms or "all" in terms:
        return Finding("spf", False, SPF_ALLOWS_ALL.format(domain=domain), str(SPF_ALLOWS_ALL_FIX))
    if GOOGLE_SPF not in terms:
        fixed = record.replace("v=spf1", f"v=spf1 {GOOGLE_SPF}", 1)
        fix = SPF_NO_GOOGLE_FIX.format(domain=domain, record=fixed)
        return Finding("spf", False, SPF_NO_GOOGLE.format(domain=domain), fix)
    return Finding("spf", True, SPF_OK.format(domain=domain))


def key_bits(record: str) -> int | None:
    """The size of the RSA key in a DKIM record's p= tag (None: not an RSA key we read)."""
    tags = dict(part.strip().split("=", 1) for part in record.split(";") if "=" in part.strip())
    data = "".join(tags.get("p", "").split())
    try:
        key = load_der_public_key(base64.b64decode(data))
    except (ValueError, TypeError):
        return None
    return getattr(key, "key_size", None)


def _dkim_finding(domain: str, keys: dict[str, str]) -> Finding:
    published = {selector: key for selector, key in keys.items() if key}
    if not published:
        names = ", ".join(f"{selector}._domainkey.{domain}" for selector in keys)
        text = DKIM_MISSING.format(domain=domain, names=names)
        return Finding("dkim", False, text, DKIM_MISSING_FIX.format(domain=domain))
    for selector, key in published.items():
        bits = key_bits(key)
        if bits is not None and bits < MIN_DKIM_BITS:
            name = f"{selector}._domainkey.{domain}"
            text = DKIM_SHORT.format(domain=domain, name=name, bits=bits)
            return Finding("dkim", False, text, str(DKIM_SHORT_FIX))
    return Finding("dkim", True, DKIM_OK.format(domain=domain, selectors=", ".join(published)))


def _dmarc_finding(domain: str, record: str) -> Finding:
    if not record:
        return Finding(
            "dmarc",
            False,
            DMARC_MISSING.format(domain=domain),
            DMARC_MISSING_FIX.format(domain=domain),
        )
    tags = {
        key.strip().lower(): value.strip()
        for key, _, value in (part.partition("=") for part in record.split(";"))
        if key.strip()
    }
    if "p" not in tags:
        rest = "; ".join(f"{k}={v}" for k, v in tags.items() if k != "v")
        fix = DMARC_NO_POLICY_FIX.format(domain=domain, rest=rest).rstrip("; ")
        return Finding("dmarc", False, DMARC_NO_POLICY.format(domain=domain), fix)
    return Finding("dmarc", True, DMARC_OK.format(domain=domain, policy=f"p={tags['p']}"))


def findings(check: DomainCheck) -> list[dict]:
    """The check's findings in the active language, written again from the records it stored
    (the stored words are those of whoever ran it); none for a failed lookup. When the
    records no longer give the stored verdicts (a check stored by older rules, or findings
    written without their records), the stored findings are shown as they are."""
    if check.error:
        return []
    found = [
        _spf_finding(check.domain, check.spf.split("\n") if check.spf else []).as_dict(),
        _dkim_finding(check.domain, check.dkim if check.dkim else {GOOGLE_SELECTOR: ""}).as_dict(),
        _dmarc_finding(check.domain, check.dmarc).as_dict(),
    ]
    stored = list(check.findings or [])
    verdicts = [(finding.get("key"), finding.get("ok")) for finding in stored]
    if verdicts != [(finding["key"], finding["ok"]) for finding in found]:
        return stored
    return found


def problems(check: DomainCheck) -> list[dict]:
    """What is missing, each with what to add; a failed lookup is one problem."""
    if check.error:
        return [{"key": "dns", "ok": False, "text": check.error, "fix": ""}]
    return [finding for finding in findings(check) if not finding["ok"]]


def stored_check(account: EmailAccount) -> DomainCheck | None:
    """The account's domain as last checked (None: never, or a personal gmail.com)."""
    if account.domain in CONSUMER_GMAIL_DOMAINS:
        return None
    return DomainCheck.objects.filter(
        organization=account.organization_id, domain=account.domain
    ).first()


def is_stale(check: DomainCheck, now: datetime.datetime | None = None) -> bool:
    """Older than a day: records change, and pages say when a check was made."""
    return check.checked_at < (now or timezone.now()) - datetime.timedelta(days=1)
