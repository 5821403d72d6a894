"""The locale a message is written in: the campaign's language (or else its agency's), with
the agency's country, currency and time zone.

Everything we write into an email (the footer, the listing card, the test marker) and the
staff's `money` and `date_local` filters follow it. `with writing(locale):` makes gettext
speak its language (translation.override, per thread and per task) and the formats read
the rest (a context variable), for one render; the preview, the test send, the preflight
and the claim all render inside it.
"""

import datetime
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from babel import Locale, localedata
from django.conf import settings
from django.utils import translation

# Homes are measured in square feet here (CLDR's US measurement system, and the property
# markets of the United Kingdom and Canada); in square metres everywhere else.
SQUARE_FEET_COUNTRIES = frozenset({"US", "LR", "MM", "GB", "CA"})


@dataclass(frozen=True)
class EmailLocale:
    """How a message is written: `language` (one of settings.LANGUAGES), `country` (ISO
    3166, for the number formats and the unit of areas), `currency` (ISO 4217) and
    `zone` (the agency's, for dates)."""

    language: str = "en"
    country: str = "US"
    currency: str = "USD"
    zone: datetime.tzinfo = datetime.UTC

    @classmethod
    def of_organization(cls, organization: Any, language: str = "") -> "EmailLocale":
        """The agency's locale, in `language` when given (a campaign's own)."""
        return cls(
            language=language or organization.language,
            country=organization.country,
            currency=organization.currency,
            zone=organization.zone,
        )

    @classmethod
    def of_campaign(cls, campaign: Any) -> "EmailLocale":
        return cls.of_organization(campaign.organization, campaign.language)

    @property
    def babel(self) -> Locale:
        return babel_locale(self.language, self.country)

    @property
    def square_feet(self) -> bool:
        return self.country in SQUARE_FEET_COUNTRIES


@functools.lru_cache(maxsize=64)
def babel_locale(language: str, country: str) -> Locale:
    """The language as written in the country when CLDR knows that pair (es + US is es_US:
    Miami's Spanish writes $420,000), else the language alone (fr + US is fr)."""
    tag = f"{language}_{country}"
    if localedata.exists(tag):
        return Locale.parse(tag)
    # A language CLDR lacks (a value set around the validators) writes as English does,
    # rather than failing every message of the campaign.
    return Locale.parse(language if localedata.exists(language) else "en")


_writing: ContextVar[EmailLocale | None] = ContextVar("email_locale", default=None)


def current() -> EmailLocale:
    """The locale of the message being written; outside `writing`, the active language with
    the defaults of a new agency (the US, dollars, UTC)."""
    found = _writing.get()
    if found is not None:
        return found
    return EmailLocale(language=active_language())


def active_language() -> str:
    """The active language as one of settings.LANGUAGES ("en-us" is "en")."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return settings.LANGUAGES[0][0]


@contextmanager
def writing(locale: EmailLocale) -> Iterator[EmailLocale]:
    """Write in `locale` until the block ends: gettext and the formats follow it."""
    token = _writing.set(locale)
    try:
        with translation.override(locale.language):
            yield locale
    finally:
        _writing.reset(token)
