"""Counts and prices as the page's language writes them: 12,500 in English, 12 500 in
French, 12.500 in Spanish; a price in the agency's currency, as the reader's language writes
it in the agency's country ($420,000; 420 000 $US; 420.000 €).

Emails have their own (campaigns/content/formats.py): they follow the campaign's language,
these the staff member's.
"""

import copy
import functools
from typing import Any

from babel import Locale, localedata
from babel.numbers import NumberPattern, format_percent
from django.utils import formats, translation


def grouped(number: int | float) -> str:
    """`number` with the active language's thousands separator."""
    return formats.number_format(number, force_grouping=True)


@functools.lru_cache(maxsize=64)
def _locale(language: str, country: str) -> Locale:
    tag = f"{language}_{country}"
    return Locale.parse(tag if localedata.exists(tag) else language)


@functools.lru_cache(maxsize=64)
def _whole_units(locale: Locale) -> NumberPattern:
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (0, 0)
    return pattern


def price(value: int | None, organization: Any) -> str:
    """A price of `organization`'s (in its currency), in the active language; a dash for
    none."""
    if value is None:
        return "–"
    where = _locale(_active().language, organization.country)
    return _whole_units(where).apply(
        value, where, currency=organization.currency, currency_digits=False
    )


def percent(part: float, whole: float, digits: int = 1) -> str:
    """`part` of `whole` as a percentage with `digits` decimals, as the active language
    writes one (36.4% in English, 36,4 % in French); a dash when `whole` is 0."""
    if not whole:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(part / whole, pattern, locale=_active())


def percent_written(value: float) -> str:
    """A percentage already computed (0 to 100): 50%, 12.5% (50 %, 12,5 % in French)."""
    return percent(value, 100, digits=0 if value == int(value) else 1)


def _active() -> Locale:
    language = translation.to_locale(translation.get_language() or "en").split("_")[0]
    return Locale.parse(language if localedata.exists(language) else "en")
