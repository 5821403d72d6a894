"""Consent on record, and the rules of the agency's country that say whom it may email.

Each lead carries a basis (express consent, an enquiry, a past client, a bought list,
unknown) and the day it arose; every change is kept as a ConsentRecord. The agency's
country picks a regime (docs/compliance.md gives each rule with its source):

- CAN-SPAM (United States): opt-out. Any basis may be emailed until the lead opts out
  (15 U.S.C. 7704(a)(3)-(4)).
- CASL (Canada): consent, express or implied (S.C. 2010, c. 23, s. 6(1)). Express consent
  does not expire; implied consent from an enquiry lasts six months (s. 10(10)(e)), from
  a purchase, sale or lease two years (s. 10(10)(a)). A bought list is no consent.
- GDPR/PECR (the EU, the EEA, the United Kingdom, Switzerland): consent, or the soft
  opt-in for the agency's own similar services to people it sold to or negotiated with
  (Directive 2002/58/EC art. 13(2); PECR reg. 22(3)). Soft opt-in is held for three years
  from the enquiry or the sale (CNIL's retention rule for prospects); consent does not
  expire. A bought list is no consent.
- Any other country: the GDPR/PECR rules, the nearest to most countries' consent laws.

A lead the regime does not let the agency email is skipped by preflight, the launch, the
claim and the sequences, under one of two reasons: no consent, or consent expired.
"""

import calendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.models import ConsentBasis, ConsentRecord, Lead, Organization

Basis = ConsentBasis

EEA_AND_UK = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO GB CH".split()
)
NO_DATE = "no date on record, so the time it allows cannot be counted"


@dataclass(frozen=True)
class Regime:
    """What one country's law lets an agency do by email, basis by basis."""

    key: str
    name: str
    summary: str
    # The bases that allow email, and for how many months from their date (None: no end).
    allowed: dict[str, int | None]

    def needs_date(self, basis: str) -> bool:
        return self.allowed.get(basis) is not None


CAN_SPAM = Regime(
    "can_spam",
    "CAN-SPAM (United States)",
    "Opt-out: every lead may be emailed until they unsubscribe.",
    {basis: None for basis in Basis.values},
)
CASL = Regime(
    "casl",
    "CASL (Canada)",
    "Consent: express consent does not expire; an enquiry allows email for 6 months, a "
    "purchase, sale or lease for 2 years; a bought list or an unknown basis does not.",
    {Basis.EXPRESS: None, Basis.ENQUIRY: 6, Basis.CLIENT: 24},
)
GDPR = Regime(
    "gdpr",
    "GDPR and PECR (EU, EEA, UK)",
    "Consent or soft opt-in: express consent does not expire; an enquiry or a sale "
    "allows email about the agency's own services for 3 years; a bought list or an "
    "unknown basis does not.",
    {Basis.EXPRESS: None, Basis.ENQUIRY: 36, Basis.CLIENT: 36},
)
REGIMES = {regime.key: regime for regime in (CAN_SPAM, CASL, GDPR)}


def regime_for(country: str) -> Regime:
    """The rules an agency of this country (ISO code) follows."""
    if country == "US":
        return CAN_SPAM
    if country == "CA":
        return CASL
    return GDPR


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def months_after(day: datetime.date, months: int) -> datetime.date:
    return months_before(day, -months)


def last_day(given: datetime.date, months: int) -> datetime.date:
    """The last day a basis of `given` allows email: `months` later, the same day of the
    month (or the month's last, when it is shorter)."""
    return months_after(given, months)


def earliest_allowed(today: datetime.date, months: int) -> datetime.date:
    """The earliest date a basis may have to still allow email today: the first day whose
    last_day is today or later (last_day's clamping to a month's end is respected)."""
    day = months_before(today, months)
    while last_day(day, months) < today:
        day += datetime.timedelta(days=1)
    return day


def today_of(organization: Organization, now: datetime.datetime | None = None) -> datetime.date:
    """The agency's day: a window counted in days ends at its midnight, not the server's."""
    moment = now or timezone.now()
    return moment.astimezone(organization.zone).date()


def no_consent(regime: Regime) -> Q:
    """Leads with no basis the regime accepts, or a timed one without its date."""
    undated = Q(
        consent_basis__in=[b for b in regime.allowed if regime.needs_date(b)],
        consent_date__isnull=True,
    )
    return ~Q(consent_basis__in=list(regime.allowed)) | undated


def consent_expired(regime: Regime, today: datetime.date) -> Q:
    """Leads whose timed basis ran out before `today` (a message sent today would be
    outside the window the law gives: CASL s. 10(10) counts back from the day it is sent)."""
    expired = Q(pk__in=[])
    for basis, months in regime.allowed.items():
        if months is not None:
            expired |= Q(consent_basis=basis, consent_date__lt=earliest_allowed(today, months))
    return expired


def not_allowed(organization: Organization, now: datetime.datetime | None = None) -> Q:
    """Leads of this agency that its rules do not let it email now."""
    regime = regime_for(organization.country)
    if regime is CAN_SPAM:
        return Q(pk__in=[])
    return no_consent(regime) | consent_expired(regime, today_of(organization, now))


@dataclass(frozen=True)
class Standing:
    """Whether one lead may be emailed, and why, in staff's words."""

    allowed: bool
    reason: str  # "", "no_consent" or "consent_expired"
    text: str
    expires_on: datetime.date | None = None


def standing(lead: Lead, now: datetime.datetime | None = None) -> Standing:
    """The lead's consent under their agency's rules now, said for the lead's page."""
    organization = lead.organization
    regime = regime_for(organization.country)
    basis, given = lead.consent_basis, lead.consent_date
    label = lead.get_consent_basis_display()
    if basis not in regime.allowed:
        return Standing(False, "no_consent", f"{regime.name} does not allow email on: {label}.")
    months = regime.allowed[basis]
    if months is None:
        return Standing(True, "", f"{label}: allowed under {regime.name}, with no end date.")
    if given is None:
        return Standing(False, "no_consent", f"{label}, but {NO_DATE}.")
    end = last_day(given, months)
    if today_of(organization, now) > end:
        text = f"{label} of {given:%Y-%m-%d}: expired after {end:%Y-%m-%d} ({regime.name})."
        return Standing(False, "consent_expired", text, end)
    text = f"{label} of {given:%Y-%m-%d}: allows email until {end:%Y-%m-%d} ({regime.name})."
    return Standing(True, "", text, end)


def consent_record(
    *,
    lead: Lead,
    basis: str,
    given_on: datetime.date | None,
    source: str,
    source_detail: str = "",
    wording: str = "",
    recorded_by: Any = None,
) -> ConsentRecord:
    """Record how the agency may email the lead; it becomes the lead's current basis."""
    record = ConsentRecord(
        organization_id=lead.organization_id,
        lead=lead,
        basis=basis,
        given_on=given_on,
        source=source,
        source_detail=source_detail[:500],
        wording=wording,
        recorded_by=recorded_by,
        recorded_at=timezone.now(),
    )
    record.full_clean(exclude=["lead", "organization", "recorded_by"])
    with transaction.atomic():
        record.save()
        Lead.objects.filter(pk=lead.pk).update(
            consent_basis=basis, consent_date=given_on, updated_at=timezone.now()
        )
    lead.consent_basis, lead.consent_date = basis, given_on
    return record


# How a consent column of an import (a CRM's export, a spreadsheet) says it, in words.
BASIS_WORDS = {
    Basis.EXPRESS: "express,express consent,yes,y,true,1,opted in,opt in,optin,subscribed,"
    "consented,consent given,double opt in,confirmed,oui,si,sí,ja",
    Basis.ENQUIRY: "enquiry,inquiry,lead,web lead,prospect,request,contact form,portal lead,"
    "demande,consulta,anfrage",
    Basis.CLIENT: "client,customer,past client,buyer,seller,sold,bought,tenant,landlord,"
    "closed,purchase,sale",
    Basis.PURCHASED: "purchased,purchased list,bought list,rented list,list,imported list,"
    "third party,data broker",
    Basis.UNKNOWN: "unknown,none,n/a,na,no,n,false,0,not given",
}
BY_WORD = {word.strip(): basis for basis, words in BASIS_WORDS.items() for word in words.split(",")}
NOT_A_BASIS = "“{value}” is not a consent basis (express, enquiry, client, purchased, unknown)"


def read_basis(cell: str) -> str:
    """The basis a consent cell names ("Yes", "Opted in", "Past client"...); ValueError for
    words it does not know."""
    key = " ".join(cell.strip().lower().replace("-", " ").replace("_", " ").split())
    if key in BY_WORD:
        return BY_WORD[key]
    raise ValueError(NOT_A_BASIS.format(value=cell.strip()[:60]))


def form_evidence_add(
    *, lead: Lead, since: datetime.datetime, wording: str, today: datetime.date
) -> int:
    """The consent records a web form made for the lead from `since` on get the words the
    form showed beside its box, and the day it was sent when the form gave none (the form
    is the evidence: CASL s. 10(1) asks the request to say what it is for and who asks).
    Returns how many records were completed."""
    made = ConsentRecord.objects.filter(
        lead=lead, source=ConsentRecord.Source.FORM, recorded_at__gte=since
    )
    if not made.exists():
        return 0
    completed = made.filter(given_on__isnull=True).update(given_on=today)
    if wording:
        completed = made.update(wording=wording[:2000])
    Lead.objects.filter(pk=lead.pk, consent_date__isnull=True).update(consent_date=today)
    return completed


def consent_records_many(records: list[ConsentRecord]) -> None:
    """Records for many leads at once (an import): the history rows in one INSERT; the
    leads' current basis is written by the caller with the leads."""
    now = timezone.now()
    for record in records:
        record.recorded_at = record.recorded_at or now
    ConsentRecord.objects.bulk_create(records)
