"""Money, numbers, areas and dates as the message's locale writes them, by Babel (CLDR's
data), never by hand: `420 000 €` in French, `$420,000` in US English, `5 de marzo de 2026`
in Spanish.

The staff's template filters `money` and `date_local` are these. Babel formats whatever it
is given without complaint (`NaN €`, `1,00 eur`, `5 marzo 2026` from a hand-made pattern)
or fails with a bare AssertionError; here a value it cannot format well is refused with a
FormatError that names the filter and the value, which the renderer turns into a
TemplateError on the template's line.
"""

import copy
import datetime
import functools
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, format_currency, format_decimal, list_currencies
from babel.units import format_unit
from django.utils.translation import gettext
from jinja2 import pass_context
from jinja2.runtime import Context

from campaigns.content import email_locale
from campaigns.content.email_locale import EmailLocale

MAX_AMOUNT = 10**15  # a million billion: no price, and Babel's formatting stays exact
MAX_NUMBER_TEXT = 40  # characters of a number written as text ("420000")
DATE_FORMATS = ("short", "medium", "long", "full")

EMPTY = (
    "“{name}” was given an empty value: write it only when there is one, e.g. "
    "{{% if property.price %}}{{{{ property.price | money }}}}{{% endif %}}."
)
NOT_A_NUMBER = "“{name}” takes a number, not {value}."
NOT_FINITE = "“{name}” takes a finite number, not {value}."
TOO_LARGE = "“{name}” takes amounts below a million billion, not {value}."
UNKNOWN_CURRENCY = (
    "“money” takes a currency code of three letters (EUR, USD, GBP…), not {value}; without "
    "one it writes the agency's currency."
)
NOT_A_DATE = "“date_local” takes a date, like lead.created_at, not {value}."
UNKNOWN_DATE_FORMAT = "“date_local” takes “short”, “medium”, “long” or “full”, not {value}."


class FormatError(ValueError):
    """A value a filter cannot format; the message says which filter and what it got."""


def _shown(value: Any) -> str:
    """The value as staff would recognise it in a sentence."""
    if isinstance(value, str):
        text = value if len(value) <= 30 else value[:30] + "…"
        return f"the text “{text}”"
    if isinstance(value, (bool, int, float, Decimal)):
        text = str(value)
        return text if len(text) <= 30 else f"a number of {len(text)} digits"
    kinds: dict[type, str] = {list: "a list", tuple: "a list", dict: "a mapping"}
    return kinds.get(type(value)) or f"a {type(value).__name__}"


def amount(value: Any, name: str) -> int | Decimal:
    """The number `value` holds, checked: finite, below MAX_AMOUNT; a number written as
    text ("420000") is read too. Raises FormatError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FormatError(EMPTY.format(name=name))
    if isinstance(value, bool):
        raise FormatError(NOT_A_NUMBER.format(name=name, value=_shown(value)))
    if isinstance(value, int):
        number: int | Decimal = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise FormatError(NOT_FINITE.format(name=name, value=_shown(value)))
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and len(value.strip()) <= MAX_NUMBER_TEXT:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise FormatError(NOT_A_NUMBER.format(name=name, value=_shown(value))) from None
    else:
        raise FormatError(NOT_A_NUMBER.format(name=name, value=_shown(value)))
    if isinstance(number, Decimal) and not number.is_finite():
        raise FormatError(NOT_FINITE.format(name=name, value=_shown(value)))
    # An int's size first: a number of thousands of digits costs nothing to refuse.
    if isinstance(number, int) and number.bit_length() > 64:
        raise FormatError(TOO_LARGE.format(name=name, value=_shown(value)))
    if abs(Decimal(number)) >= MAX_AMOUNT:
        raise FormatError(TOO_LARGE.format(name=name, value=_shown(value)))
    return number


@functools.cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_code(value: Any) -> str:
    """An ISO 4217 code that CLDR knows, in capitals ("eur" is EUR)."""
    code = value.strip().upper() if isinstance(value, str) else None
    if code not in _currencies():
        raise FormatError(UNKNOWN_CURRENCY.format(value=_shown(value)))
    return code


@functools.lru_cache(maxsize=64)
def _whole_amounts(locale: Locale) -> NumberPattern:
    """The locale's own currency pattern without the cents: `¤#,##0` in en, `#,##0 ¤` in fr
    (a pattern typed by hand would miss the no-break spaces CLDR puts around the sign)."""
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (0, 0)
    return pattern


def money(
    value: Any, currency: Any = None, *, cents: bool = False, locale: EmailLocale | None = None
) -> str:
    """`value` as an amount of `currency` (the agency's when None), in whole units unless
    `cents`: 420 000 € (fr), $420,000 (en_US), 420.000 € (es)."""
    locale = locale or email_locale.current()
    code = locale.currency if currency is None else currency_code(currency)
    number = amount(value, "money")
    where = locale.babel
    if cents:
        return format_currency(number, code, locale=where)
    return _whole_amounts(where).apply(number, where, currency=code, currency_digits=False)


def price_text(value: int | None, organization: Any) -> str:
    """A price as the agency's staff read it on its pages (its currency, language and
    country: $1,250,000; 1 250 000 €); "" for no price."""
    if value is None:
        return ""
    return money(value, locale=EmailLocale.of_organization(organization))


def budget_text(low: int | None, high: int | None, organization: Any) -> str:
    """A lead's budget as the agency's staff read it, in its currency: "$500,000 to $700,000"
    with an en dash, "from $500,000", "up to $700,000"; "" for none."""
    if low is None and high is None:
        return ""
    locale = EmailLocale.of_organization(organization)
    if high is None:
        return gettext("from %(price)s") % {"price": money(low, locale=locale)}
    if low is None:
        return gettext("up to %(price)s") % {"price": money(high, locale=locale)}
    return f"{money(low, locale=locale)} – {money(high, locale=locale)}"


def number(value: Any, *, locale: EmailLocale | None = None) -> str:
    """A count or a measure: 1 234 (fr), 1,234 (en), 1.234 (es)."""
    locale = locale or email_locale.current()
    return format_decimal(amount(value, "number"), locale=locale.babel)


def area(value: Any, *, locale: EmailLocale | None = None) -> str:
    """A living area in the unit its country measures homes in: 85 m², 915 sq ft."""
    locale = locale or email_locale.current()
    unit = "area-square-foot" if locale.square_feet else "area-square-meter"
    return format_unit(amount(value, "area"), unit, length="short", locale=locale.babel)


def date_local(value: Any, style: Any = "long", *, locale: EmailLocale | None = None) -> str:
    """A date (or a moment, on the agency's calendar) in a style of the locale: `long` is
    March 5, 2026 (en), 5 mars 2026 (fr), 5 de marzo de 2026 (es)."""
    locale = locale or email_locale.current()
    if style not in DATE_FORMATS:
        raise FormatError(UNKNOWN_DATE_FORMAT.format(value=_shown(style)))
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FormatError(EMPTY.format(name="date_local"))
    if isinstance(value, datetime.datetime):
        # Babel would print the moment's own date: 23:30 in Los Angeles is tomorrow in UTC.
        if value.tzinfo is not None:
            value = value.astimezone(locale.zone)
        value = value.date()
    elif not isinstance(value, datetime.date):
        raise FormatError(NOT_A_DATE.format(value=_shown(value)))
    return format_date(value, style, locale=locale.babel)


# The filters as templates call them. They take the render's context only so that Jinja
# never computes them while compiling ({{ 420000 | money }} is a constant): the compiled
# template is cached and shared by every language.
@pass_context
def money_filter(context: Context, value: Any, currency: Any = None, cents: Any = False) -> str:
    return money(value, currency, cents=bool(cents))


@pass_context
def date_local_filter(context: Context, value: Any, style: Any = "long") -> str:
    return date_local(value, style)


TEMPLATE_FILTERS = {"money": money_filter, "date_local": date_local_filter}
