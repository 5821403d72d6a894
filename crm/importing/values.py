"""Cells as people and CRMs write them, read into lead values: amounts (`$450,000`,
`€700.000`, `$1.2M`, `500k-700k`), statuses (`Trash`, `Past Client`), dates, phone numbers
(E.164, from the agency's country), tags and "nothing" (`N/A`, `-`).

Each reader returns the value or raises ValueProblem, whose message says what was read and
why it cannot be used; the importer then leaves that value out and names the row.
"""

import datetime
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import phonenumbers
from django.utils.translation import gettext, gettext_lazy

from crm.models import Lead

# What spreadsheets and CRMs write for "nothing": the cell is read as empty.
BLANKS = frozenset(
    "n/a na n.a. n.a #n/a - -- --- — – ? none null nil unknown not provided not set tbd 0/0/00"
    " 00/00/0000".split()
)
NOT_AN_AMOUNT = gettext_lazy("“{value}” is not an amount")
NEGATIVE_AMOUNT = gettext_lazy("“{value}” is below zero")
NOT_A_DATE = gettext_lazy("“{value}” is not a date")
NOT_A_PHONE = gettext_lazy("“{value}” is not a phone number{where}")
UNKNOWN_STATUS = gettext_lazy("“{value}” is not a status we know")
# Amounts past this many digits are past every column's range all the same.
_MAX_DIGITS = 20


class ValueProblem(ValueError):
    """A cell that cannot be read as the value its column holds; the message says why."""


def shown(cell: str) -> str:
    """A cell quoted in a message, cut short: a 100 KB cell must not make a 100 KB page."""
    return cell if len(cell) <= 60 else cell[:60] + "…"


def is_blank(cell: str) -> bool:
    return not cell or cell.lower() in BLANKS


# --- Amounts ------------------------------------------------------------------------------

_SCALES = {"k": 1_000, "m": 1_000_000, "mm": 1_000_000, "mil": 1_000_000, "b": 1_000_000_000}
_SCALE_WORDS = {"thousand": "k", "million": "m", "millions": "m", "billion": "b"}
# Currency signs and codes around an amount; what is left must be digits and separators.
_CURRENCY = re.compile(
    r"(?:us\$|c\$|a\$|ca\$|au\$|\$|€|£|¥|₹|chf|usd|eur|euros?|gbp|cad|aud|dollars?|fr\b)",
    re.IGNORECASE,
)
# Below: "up to 700k", "under 700k", "<700k"; above: "500k+", "from 500k", "over 500k".
_UP_TO = re.compile(r"^(?:up\s*to|under|below|less\s*than|max(?:imum)?\.?|<=?|≤)\s*", re.I)
_FROM = re.compile(r"^(?:from|over|above|more\s*than|min(?:imum)?\.?|at\s*least|>=?|≥)\s*", re.I)
# A range's separator: a hyphen, an en or em dash, "to" or "~".
_RANGE = re.compile(r"\s*(?:–|—|~|\bto\b|-)\s*", re.IGNORECASE)
_NUMBER = re.compile(r"^(\d[\d\s.,'\u00a0\u202f]*)\s*([a-z]*)$", re.IGNORECASE)


def _number(text: str, scaled: bool) -> Decimal:
    """Digits with separators of either convention. With a scale after it ("1.2M", "1,5k")
    a lone separator is the decimal one; without, a lone separator followed by three digits
    groups thousands ("700.000", "450,000") and one of one or two digits is decimal."""
    digits = re.sub(r"[\s'\u00a0\u202f]", "", text)
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        # Both: the last one is the decimal separator ("1,234,567.89", "1.234.567,89").
        decimal_mark = "." if digits.rfind(".") > digits.rfind(",") else ","
        group_mark = "," if decimal_mark == "." else "."
        digits = digits.replace(group_mark, "").replace(decimal_mark, ".")
    elif dots + commas == 1:
        mark = "." if dots else ","
        whole, fraction = digits.split(mark)
        thousands = not scaled and len(fraction) == 3
        digits = whole + fraction if thousands else f"{whole}.{fraction}"
    elif dots + commas > 1:
        mark = "." if dots else ","
        groups = digits.split(mark)
        if any(len(group) != 3 for group in groups[1:]):
            raise ValueError(text)
        digits = "".join(groups)
    if not digits:
        raise ValueError(text)
    if len(digits.partition(".")[0].lstrip("0")) > _MAX_DIGITS:
        # Past every column's range all the same, which the column's own check then says
        # (Decimal of thousands of digits would be slow for nothing).
        return Decimal(10) ** _MAX_DIGITS
    return Decimal(digits)


def _amount(text: str, scale_after: str = "") -> tuple[int, str]:
    """One amount and the scale it was written with ("k", "m", or "")."""
    match = _NUMBER.match(text.strip())
    if not match:
        raise ValueError(text)
    number, scale = match.group(1).strip(), match.group(2).lower()
    scale = _SCALE_WORDS.get(scale, scale) or scale_after
    if scale and scale not in _SCALES:
        raise ValueError(text)
    value = _number(number, scaled=bool(scale)) * _SCALES.get(scale, 1)
    return int(value.to_integral_value(rounding=ROUND_HALF_UP)), scale


def read_amounts(cell: str) -> tuple[int | None, int | None]:
    """An amount or a range, as (lowest, highest): "500000" → (500000, 500000);
    "500k-700k" → (500000, 700000); "up to 700k" → (None, 700000); "500k+" → (500000,
    None). Raises ValueProblem for anything else."""
    text = _CURRENCY.sub(" ", unicodedata.normalize("NFKC", cell)).strip()
    for word, scale in _SCALE_WORDS.items():
        text = re.sub(rf"\s*\b{word}\b", scale, text, flags=re.IGNORECASE)
    if re.match(r"^-\s*\d", text):
        raise ValueProblem(NEGATIVE_AMOUNT.format(value=shown(cell)))
    try:
        if match := _UP_TO.match(text):
            return None, _amount(text[match.end() :])[0]
        if text.endswith("+"):
            return _amount(text[:-1])[0], None
        if match := _FROM.match(text):
            return _amount(text[match.end() :])[0], None
        parts = _RANGE.split(text)
        if len(parts) == 2 and all(part.strip() for part in parts):
            # "500-700k": the scale written once counts for both ends.
            high, scale = _amount(parts[1])
            low = _amount(parts[0], scale_after=scale)[0]
            return low, high
        if len(parts) == 1:
            value = _amount(text)[0]
            return value, value
    except (ValueError, InvalidOperation):
        pass
    raise ValueProblem(NOT_AN_AMOUNT.format(value=shown(cell)))


def amounts_written(low: int | None, high: int | None) -> str:
    """A budget as staff read it: a range, "up to 700,000" or "from 500,000"."""
    if low is None and high is None:
        return "–"
    if high is None:
        return gettext("from %(low)s") % {"low": f"{low:,}"}
    if low is None:
        return gettext("up to %(high)s") % {"high": f"{high:,}"}
    return f"{low:,} – {high:,}"


# --- Statuses -----------------------------------------------------------------------------

S = Lead.Status
# CRM stages and statuses (Follow Up Boss, kvCORE/BoldTrail, Lofty, Wise Agent, Real Geeks,
# Sierra, Zillow) and the usual words, in lower case, to ours. Staff change any of them per
# import in the mapping step; what is not here is asked, never guessed.
STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(
        "new,new lead,lead,leads,fresh,unqualified,uncontacted,not contacted,registered,"
        "web lead,new inquiry".split(","),
        S.NEW,
    ),
    **dict.fromkeys(
        "contacted,attempted contact,attempting contact,attempted,nurture,nurturing,"
        "short nurture,long nurture,long term nurture,watch,cold,warm,unresponsive,"
        "no response,follow up,in progress,working,engaged,prospect,prospects,sphere,"
        "friends & family,friends and family,active lead,active".split(","),
        S.CONTACTED,
    ),
    **dict.fromkeys(
        "qualified,hot,hot prospect,hot prospects,hot lead,a - hot,buyer,buyers,seller,sellers,"
        "showing homes,showing,appointment set,appointment,met,pre-approved,preapproved,"
        "looking,searching,active buyer,active seller".split(","),
        S.QUALIFIED,
    ),
    **dict.fromkeys(
        "client,clients,active client,active clients,customer,under contract,contract,pending,"
        "in escrow,escrow,listing,listed,closed,closed won,won,sold,bought,past client,"
        "past clients,past customer,closed client".split(","),
        S.CLIENT,
    ),
    **dict.fromkeys(
        "lost,trash,archive,archived,not interested,do not contact,dnc,dead,junk,spam,"
        "bad lead,invalid,closed lost,inactive,unqualified - trash,agent,is agent,vendor,"
        "bogus,wrong number,duplicate".split(","),
        S.LOST,
    ),
    **{choice.label.lower(): choice.value for choice in S},
    **{choice.value: choice.value for choice in S},
}


def status_key(cell: str) -> str:
    """How a status cell is looked up: lower case, spaces tidied ("  Past  Client " →
    "past client")."""
    return " ".join(cell.lower().split())


def known_status(cell: str) -> str:
    """Our status for a CRM's word, or "" when we do not know it."""
    return STATUS_WORDS.get(status_key(cell), "")


# --- Dates --------------------------------------------------------------------------------

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%b %d, %Y",
    "%B %d, %Y",
)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def read_date(cell: str, day_first: bool = False) -> str:
    """A date as YYYY-MM-DD, from ISO dates and times, US dates (3/14/2024, 3/14/24: month
    first unless `day_first`), named months (14 Mar 2024, March 14, 2024), Excel's day
    numbers (45365) and Google's birthdays without a year (--03-14)."""
    text = cell.strip()
    if re.fullmatch(r"--\d{2}-\d{2}", text):
        return text
    # Times are dropped: "2024-03-14 10:30:00", "2024-03-14T10:30:00Z", "3/14/2024 4:05 PM".
    text = re.split(r"[T ]\d{1,2}:\d{2}", text, maxsplit=1)[0].strip().rstrip(",")
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):
        serial = int(float(text))
        if 20_000 <= serial <= 80_000:  # 1954 to 2119: an Excel date, not a year or a zip
            return (_EXCEL_EPOCH + datetime.timedelta(days=serial)).isoformat()
    if match := _NUMERIC_DATE.match(text):
        first, second, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year += 2000 if year < 70 else 1900
        month, day = (second, first) if day_first or first > 12 else (first, second)
        try:
            return datetime.date(year, month, day).isoformat()
        except ValueError:
            pass
    else:
        for form in _DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text.replace(".", ""), form).date().isoformat()
            except ValueError:
                continue
    raise ValueProblem(NOT_A_DATE.format(value=shown(cell)))


# --- Phones -------------------------------------------------------------------------------


def read_phone(cell: str, country: str) -> str:
    """A phone number in E.164 (+13105551542), read as written in `country` (ISO alpha-2)
    unless it says its own (+33...); an extension is kept after it (" ext. 12")."""
    try:
        number = phonenumbers.parse(cell, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        where = (
            gettext(" in %(country)s") % {"country": country}
            if not cell.strip().startswith(("+", "00"))
            else ""
        )
        raise ValueProblem(NOT_A_PHONE.format(value=shown(cell), where=where))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164} ext. {number.extension}" if number.extension else e164


def phone_as_written(value: str, country: str) -> str:
    """A stored number as people of `country` write it: national for its own numbers
    ("(310) 555-1542"), international for others ("+33 6 75 13 77 78"). Anything else (a
    number that was kept as written) is shown as it is."""
    if not value.startswith("+"):
        return value
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        return value
    own = phonenumbers.region_code_for_number(number) == country
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if own
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


# --- Tags and names -----------------------------------------------------------------------

# One cell holds several tags: "buyer, vip", "Barrington|Naperville" (kvCORE), "a ::: b"
# (Google), "a; b" (Outlook), one a line.
_TAG_SEPARATORS = re.compile(r"\s*(?:,|;|\||:::|\n|\r)\s*")
TAG_LENGTH = 100


def read_tags(cell: str) -> list[str]:
    """The tags of a cell, each once (in any case), in the order written; Google's "* " mark
    on its own labels is dropped."""
    tags: dict[str, str] = {}
    for part in _TAG_SEPARATORS.split(cell):
        tag = " ".join(part.removeprefix("* ").split())[:TAG_LENGTH]
        if tag and not is_blank(tag):
            tags.setdefault(tag.lower(), tag)
    return list(tags.values())


def custom_key(header: str) -> str:
    """A column's name as a custom field's key in templates: "Kids' Names" → kids_names,
    "Quartier préféré" → quartier_prefere."""
    ascii_name = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:50]
    if key and key[0].isdigit():
        key = f"f_{key}"
    return key or "column"
