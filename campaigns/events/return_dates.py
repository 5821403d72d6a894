"""The day an out-of-office subject says its writer is back, in English, French or Spanish.

Read conservatively: a date counts only after a word that announces it ("until 12/15",
"back on December 15", "jusqu'au 15/12", "de retour le 2 janvier", "hasta el 15/12",
"de vuelta el 2 de enero", or an ISO date anywhere). French and Spanish put the day first.
A date that could be read two ways (11/12 in English) is not guessed, and neither is a day
that is already past: the caller then holds for its default number of days.
"""

import datetime
import re

MONTHS = {
    "january": 1,
    "jan": 1,
    "janvier": 1,
    "janv": 1,
    "february": 2,
    "feb": 2,
    "février": 2,
    "fevrier": 2,
    "févr": 2,
    "fevr": 2,
    "march": 3,
    "mar": 3,
    "mars": 3,
    "april": 4,
    "apr": 4,
    "avril": 4,
    "avr": 4,
    "may": 5,
    "mai": 5,
    "june": 6,
    "jun": 6,
    "juin": 6,
    "july": 7,
    "jul": 7,
    "juillet": 7,
    "juil": 7,
    "august": 8,
    "aug": 8,
    "août": 8,
    "aout": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "septembre": 9,
    "october": 10,
    "oct": 10,
    "octobre": 10,
    "november": 11,
    "nov": 11,
    "novembre": 11,
    "december": 12,
    "dec": 12,
    "décembre": 12,
    "decembre": 12,
    "déc": 12,
    "enero": 1,
    "ene": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "abr": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "ago": 8,
    "septiembre": 9,
    "setiembre": 9,
    "set": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
    "dic": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = (
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo)\.?,?\s+"
)
# "until" names the last day away, "back on" the first day back.
_UNTIL_EN = r"until|till|through|thru"
_BACK_EN = r"back(?:\s+in\s+the\s+office)?(?:\s+on)?|returning(?:\s+on)?|return(?:\s+on)?"
_UNTIL_FR = r"jusqu(?:'|’)\s?(?:au|à|a)(?:\s+le)?"
_BACK_FR = r"(?:de\s+)?retour(?:\s+prévu)?(?:\s+le)?"
_UNTIL_ES = r"hasta(?:\s+el)?"
_BACK_ES = (
    r"(?:(?:estar[ée]\s+)?de\s+(?:vuelta|regreso)|vuelvo|regreso|regresar[ée]|volver[ée]|"
    r"me\s+reincorporo)(?:\s+el)?"
)
_KEYWORD = re.compile(
    rf"\b(?:(?P<until_en>{_UNTIL_EN})|(?P<back_en>{_BACK_EN})|(?P<until_fr>{_UNTIL_FR})|"
    rf"(?P<back_fr>{_BACK_FR})|(?P<until_es>{_UNTIL_ES})|(?P<back_es>{_BACK_ES}))\s+"
    rf"(?:{_WEEKDAY})?(?:the\s+)?",
    re.IGNORECASE,
)
_NUMERIC = re.compile(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?\b")
_MONTH_DAY = re.compile(
    rf"({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.IGNORECASE
)
_DAY_MONTH = re.compile(
    rf"(\d{{1,2}})(?:st|nd|rd|th|er)?\s+(?:(?:of|de)\s+)?({_MONTH})\.?"
    rf"(?:\s+(?:de\s+)?(\d{{4}}))?\b",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def return_date(subject: str, today: datetime.date) -> datetime.date | None:
    """The first day back that `subject` gives, after `today`; None when it gives none."""
    found = _iso(subject) or _after_keyword(subject, today)
    if found is None:
        return None
    day, last_day_away = found
    if last_day_away:
        day += datetime.timedelta(days=1)
    return day if day > today else None


def _iso(subject: str) -> tuple[datetime.date, bool] | None:
    match = _ISO.search(subject)
    if match is None:
        return None
    try:
        day = datetime.date(*map(int, match.groups()))
    except ValueError:
        return None
    keyword = _KEYWORD.search(subject[: match.start()])
    until = bool(keyword and (keyword["until_en"] or keyword["until_fr"] or keyword["until_es"]))
    return day, until


def _after_keyword(subject: str, today: datetime.date) -> tuple[datetime.date, bool] | None:
    for keyword in _KEYWORD.finditer(subject):
        rest = subject[keyword.end() :]
        english = bool(keyword["until_en"] or keyword["back_en"])
        day = _date_at_start(rest, today, day_first=not english)
        if day is not None:
            return day, bool(keyword["until_en"] or keyword["until_fr"] or keyword["until_es"])
    return None


def _date_at_start(text: str, today: datetime.date, day_first: bool) -> datetime.date | None:
    if match := _NUMERIC.match(text):
        first, second = int(match[1]), int(match[2])
        readings = {(second, first)} if day_first else {(first, second), (second, first)}
        days = {_dated(month, day, match[3], today) for month, day in readings} - {None}
        # 11/12 in English could be either: better no date than the wrong one.
        return days.pop() if len(days) == 1 else None
    if match := _MONTH_DAY.match(text):
        return _dated(MONTHS[match[1].lower()], int(match[2]), match[3], today)
    if match := _DAY_MONTH.match(text):
        return _dated(MONTHS[match[2].lower()], int(match[1]), match[3], today)
    return None


def _dated(month: int, day: int, year: str | None, today: datetime.date) -> datetime.date | None:
    """The date with its year, or without one the occurrence nearest to `today` (a notice
    written on 20 December about 5 January means next year's)."""
    if year:
        years = [int(year) + (2000 if len(year) == 2 else 0)]
    else:
        years = [today.year - 1, today.year, today.year + 1]
    candidates = []
    for candidate_year in years:
        try:
            candidates.append(datetime.date(candidate_year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda date: abs(date - today), default=None)
