"""Prices as an agency's people read them: in its currency, written the way its language
and country write money ("$1,250,000" in Los Angeles, "1 250 000 €" in Paris), whole units
(property prices carry no cents). Babel's CLDR data decides the symbol, its place and the
separators."""

import functools

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern, parse_pattern

from crm.models import Organization


def price_text(amount: int | None, organization: Organization) -> str:
    """The amount in the agency's currency; "" for no price."""
    if amount is None:
        return ""
    locale = _locale(organization.language, organization.country)
    return _pattern(locale).apply(
        amount, locale, currency=organization.currency, currency_digits=False
    )


@functools.lru_cache(maxsize=64)
def _locale(language: str, country: str) -> Locale:
    """The agency's language as its country writes it (fr_FR, en_US), else the language."""
    try:
        return Locale.parse(f"{language}_{country}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(language or "en")


@functools.lru_cache(maxsize=64)
def _pattern(locale: Locale) -> NumberPattern:
    """The locale's currency pattern without decimals."""
    pattern = parse_pattern(locale.currency_formats["standard"].pattern)
    pattern.frac_prec = (0, 0)
    return pattern
