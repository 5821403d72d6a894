"""Who a campaign goes to: chosen leads, the spec's saved filter, or the leads a listing
alert's listing fits (campaigns/audiences/listing_fit.py).

A filter that names no status reaches every lead but clients and lost leads
(Lead.NOT_EMAILED_BY_DEFAULT): a CRM's Closed, Past Client or Trash imported as those are
never emailed unless a campaign ticks them. A filter may also ask for tags (any of them)
and custom fields (each equal to a value, in any case)."""

import datetime
import re
import zoneinfo
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from campaigns.audiences import listing_fit, preferences
from campaigns.models import Campaign
from crm import consent
from crm.models import Lead
from crm.suppression import is_suppressed, listed_leads, opted_out_leads

FILTER_KEYS = (
    "status",
    "city",
    "budget_min",
    "source",
    "tags",
    "custom",
    "created_from",
    "created_to",
)
CUSTOM_KEY = re.compile(r"[a-z0-9][a-z0-9_]*")
BAD_CUSTOM = (
    "custom: write each field as key = value, separated by “;” (e.g. neighborhood = Echo "
    "Park); a key is lower case, digits and “_”, as in {{ lead.custom.neighborhood }}."
)


class AudienceError(ValueError):
    """A filter that cannot be applied; the message names the key."""


def clean_filter(raw: Any) -> dict[str, Any]:
    """Validate and normalise a filter given as a dict (admin form, CLI JSON, API)."""
    if not isinstance(raw, dict):
        raise AudienceError('The filter must be a JSON object, e.g. {"city": "Pasadena"}.')
    unknown = sorted(set(raw) - set(FILTER_KEYS))
    if unknown:
        keys = ngettext("Unknown filter key", "Unknown filter keys", len(unknown))
        raise AudienceError(f"{keys}: {', '.join(unknown)} (allowed: {', '.join(FILTER_KEYS)}).")
    cleaned: dict[str, Any] = {}
    statuses = raw.get("status") or []
    if isinstance(statuses, str):
        statuses = [statuses]
    allowed = set(Lead.Status.values)
    bad = [value for value in statuses if value not in allowed]
    if bad:
        raise AudienceError(
            f"status: {', '.join(map(str, bad))} is not one of {', '.join(Lead.Status.values)}."
        )
    if statuses:
        cleaned["status"] = list(statuses)
    for key in ("city", "source"):
        if raw.get(key):
            cleaned[key] = str(raw[key]).strip()
    tags = raw.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list):
        raise AudienceError("tags must be a list of tags, or tags separated by commas.")
    tags = [" ".join(str(tag).split()) for tag in tags if str(tag).strip()]
    if tags:
        cleaned["tags"] = tags
    if raw.get("custom"):
        cleaned["custom"] = _clean_custom(raw["custom"])
    if raw.get("budget_min") not in (None, ""):
        try:
            cleaned["budget_min"] = int(raw["budget_min"])
        except (TypeError, ValueError):
            raise AudienceError("budget_min must be a whole number.") from None
    for key in ("created_from", "created_to"):
        if raw.get(key):
            try:
                cleaned[key] = datetime.date.fromisoformat(str(raw[key])).isoformat()
            except ValueError:
                raise AudienceError(f"{key} must be a date like 2026-01-31.") from None
    return cleaned


def _clean_custom(raw: Any) -> dict[str, str]:
    """Custom fields asked for: {"neighborhood": "Echo Park"}, or the form's text
    "neighborhood = Echo Park; pool = yes"."""
    if isinstance(raw, str):
        pairs = [part.partition("=") for part in raw.split(";") if part.strip()]
        if any(not equals for _, equals, _ in pairs):
            raise AudienceError(BAD_CUSTOM)
        raw = {key.strip(): value.strip() for key, _, value in pairs}
    if not isinstance(raw, dict) or not all(
        isinstance(key, str) and CUSTOM_KEY.fullmatch(key) and "__" not in key for key in raw
    ):
        raise AudienceError(BAD_CUSTOM)
    return {key: str(value).strip() for key, value in raw.items()}


def custom_text(custom: dict[str, str]) -> str:
    """The custom fields of a filter as the form writes them."""
    return "; ".join(f"{key} = {value}" for key, value in custom.items())


def _day_start(day: Any, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(datetime.date.fromisoformat(str(day)), datetime.time(), zone)


def apply_filter(
    leads: QuerySet[Lead], audience_filter: dict[str, Any], zone: zoneinfo.ZoneInfo
) -> QuerySet[Lead]:
    """The leads matching the filter; its dates are days in `zone` (the agency's), whoever
    asks (the admin in the viewer's zone, the sender in the server's)."""
    if audience_filter.get("status"):
        leads = leads.filter(status__in=audience_filter["status"])
    else:
        leads = leads.exclude(status__in=Lead.NOT_EMAILED_BY_DEFAULT)
    if audience_filter.get("city"):
        leads = leads.filter(city__iexact=audience_filter["city"])
    if audience_filter.get("source"):
        leads = leads.filter(source__iexact=audience_filter["source"])
    if audience_filter.get("tags"):
        wanted = [tag.lower() for tag in audience_filter["tags"]]
        tagged = (
            Lead.tags.through.objects.filter(lead=OuterRef("pk"))
            .annotate(tag_key=Lower("tag__name"))
            # django-stubs does not see an annotate() alias on a many-to-many's through model
            .filter(tag_key__in=wanted)  # type: ignore[misc]
        )
        leads = leads.filter(Exists(tagged))
    for key, value in (audience_filter.get("custom") or {}).items():
        leads = leads.alias(**{f"custom_{key}": KT(f"custom__{key}")}).filter(
            **{f"custom_{key}__iexact": value}
        )
    if audience_filter.get("budget_min") is not None:
        # Leads who can afford at least this much.
        amount = audience_filter["budget_min"]
        leads = leads.filter(
            Q(budget_max__gte=amount) | Q(budget_max__isnull=True, budget_min__gte=amount)
        )
    if audience_filter.get("created_from"):
        leads = leads.filter(created_at__gte=_day_start(audience_filter["created_from"], zone))
    if audience_filter.get("created_to"):
        day_after = _day_start(audience_filter["created_to"], zone) + datetime.timedelta(days=1)
        leads = leads.filter(created_at__lt=day_after)
    return leads


def audience_of(
    campaign: Campaign,
    *,
    lead_ids: list[str] | None = None,
    audience_filter: dict[str, Any] | None = None,
) -> QuerySet[Lead]:
    """Every lead the campaign is for, in its organization only (opted-out ones included)."""
    leads = Lead.objects.filter(organization=campaign.organization_id)
    if lead_ids is not None:
        return leads.filter(pk__in=lead_ids)
    # Listing alerts: the campaign listens; each alert's blast goes to whom its listing fits.
    if campaign.type == Campaign.Type.LISTING_ALERT:
        return listing_fit.listening_audience(campaign)
    if (alert := listing_fit.alert_of(campaign)) is not None:
        return listing_fit.alert_audience(alert)
    zone = campaign.organization.zone
    if audience_filter is not None:
        return apply_filter(leads, clean_filter(audience_filter), zone)
    if campaign.audience == Campaign.Audience.CHOSEN:
        return leads.filter(chosen_for=campaign)
    return apply_filter(leads, campaign.audience_filter or {}, zone)


# Why a lead of the audience gets no message from the campaign, in the order told (a lead
# counts under the first that applies), and the words its skipped message keeps: stored in
# English, read in the reader's language (failures.in_words; gettext_noop puts them in the
# catalogues).
SKIPPED_UNSUBSCRIBED = gettext_noop("The lead opted out: not sent.")
SKIPPED_SUPPRESSED = gettext_noop(
    "The address is on the agency's suppression list (it bounced, or staff listed it): not sent."
)
SKIPPED_LEFT = gettext_noop(
    "The lead left this campaign (or its kind) on their preference page: not sent."
)
SKIPPED_NO_CONSENT = gettext_noop("No consent on record that {regime} accepts: not sent.")
SKIPPED_CONSENT_EXPIRED = gettext_noop("The lead's consent expired ({regime}): not sent.")


def skip_reasons(campaign: Campaign, now: datetime.datetime | None = None) -> dict[str, Q]:
    """Each reason a lead of the campaign's audience is not emailed, as a filter: opted
    out, on the suppression list, left this campaign or its kind, or no consent (none
    on record, or expired) under the agency's rules."""
    organization = campaign.organization
    regime = consent.regime_for(organization.country)
    reasons = {
        "opted_out": opted_out_leads(),
        "suppressed": listed_leads(),
        "left": preferences.left(campaign),
    }
    if regime is not consent.CAN_SPAM:
        reasons["no_consent"] = consent.no_consent(regime)
        reasons["consent_expired"] = consent.consent_expired(
            regime, consent.today_of(organization, now)
        )
    return reasons


def skip_texts(campaign: Campaign) -> dict[str, str]:
    """What a skipped message says, per reason of skip_reasons."""
    regime = consent.regime_for(campaign.organization.country).name
    return {
        "opted_out": SKIPPED_UNSUBSCRIBED,
        "suppressed": SKIPPED_SUPPRESSED,
        "left": SKIPPED_LEFT,
        "no_consent": SKIPPED_NO_CONSENT.format(regime=regime),
        "consent_expired": SKIPPED_CONSENT_EXPIRED.format(regime=regime),
    }


# Each skip reason in a few words, for the counts that name them ("1 opted out, 3 on the
# suppression list"): the launch page, the campaign page.
SKIPPED_WORDS = {
    "opted_out": gettext_lazy("opted out"),
    "suppressed": gettext_lazy("on the suppression list"),
    "left": gettext_lazy("left this campaign"),
    "no_consent": gettext_lazy("no consent on record"),
    "consent_expired": gettext_lazy("consent expired"),
}


def skipped_counts(leads: QuerySet[Lead], campaign: Campaign) -> dict[str, int]:
    """How many of these leads each skip reason leaves out, each lead under the first that
    applies (as its skipped message says), in one query; the reasons that leave out none
    are left out."""
    counted: dict[str, Any] = {}
    before = Q(pk__in=[])
    for name, reason in skip_reasons(campaign).items():
        counted[name] = Count("pk", filter=reason & ~before)
        before |= reason
    counts = leads.order_by().aggregate(**counted) if counted else {}
    return {name: count for name, count in counts.items() if count}


def skipped_in_words(counts: dict[str, int]) -> str:
    """ "1 opted out, 3 on the suppression list"."""
    return ", ".join(f"{count:,} {SKIPPED_WORDS[name]}" for name, count in counts.items())


def suppressed(campaign: Campaign, now: datetime.datetime | None = None) -> Q:
    """Leads that must not get this campaign's messages (any reason of skip_reasons)."""
    found = Q(pk__in=[])
    for reason in skip_reasons(campaign, now).values():
        found |= reason
    return found


def reason_not_to_send(lead: Lead, campaign: Campaign, now: datetime.datetime | None = None) -> str:
    """Why this one lead must not get the campaign's message now ("" when they may): the
    claim asks, so a lead who opted out or whose consent ran out since the launch is
    skipped. Three small queries at most; consent is read from the lead."""
    texts = skip_texts(campaign)
    if lead.unsubscribed_at:
        return texts["opted_out"]
    if is_suppressed(lead.organization_id, lead.email):
        return texts["suppressed"]
    if preferences.has_left(lead, campaign):
        return texts["left"]
    standing = consent.standing(lead, now)
    if not standing.allowed:
        return texts[standing.reason]
    return ""


def sizes(leads: QuerySet[Lead], campaign: Campaign) -> tuple[int, int]:
    """(audience size, of which skipped: opted out, suppressed, left, or without consent)."""
    return leads.count(), leads.filter(suppressed(campaign)).count()
