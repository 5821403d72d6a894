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
from babel.numbers import NumberPattern
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
    """A price of `organization`'s (its currency), in the active language; "–" for none."""
    if value is None:
        return "–"
    language = translation.to_locale(translation.get_language() or "en").split("_")[0]
    where = _locale(language if localedata.exists(language) else "en", organization.country)
    return _whole_units(where).apply(
        value, where, currency=organization.currency, currency_digits=False
    )
