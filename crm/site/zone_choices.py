"""The time-zone field of an agency: a searchable list of zones named as people know them,
in the page's language ("(UTC-05:00) New York, United States — Eastern Time"), rather
than a text box that wants an IANA key and refuses "Eastern".

The stored value stays the IANA key (Europe/Paris). The list holds CLDR's canonical zones
(420, plus UTC), sorted by today's offset: the offset is today's (summer time included), so
the list is made for each page, not once. An old name (US/Pacific, Asia/Calcutta) reads as
the zone it now is; a zone the list lacks (Etc/GMT+5) stays, shown by its key.
"""

import datetime
import zoneinfo
from functools import cache
from typing import Any

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location, get_timezone_name
from django import forms
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminSelect2Widget

UTC = "UTC"
UTC_NAME = _("Coordinated Universal Time")
UNKNOWN_ZONE = _("“%(value)s” is not a time zone we know: choose one in the list.")
# CLDR's "territories" of zones that belong to no country.
_NO_COUNTRY = {"001", "ZZ"}


@cache
def canonical_zones() -> frozenset[str]:
    """CLDR's canonical zones this machine's tz database has, and UTC; not the Etc/GMT+5
    kind, whose sign is the reverse of what it reads (Etc/GMT+5 is UTC-05:00)."""
    territories = get_global("zone_territories")
    return frozenset(
        {
            zone
            for zone in zoneinfo.available_timezones()
            if zone in territories and not zone.startswith("Etc/")
        }
        | {UTC}
    )


def canonical(name: str) -> str:
    """The canonical key of a zone's name: itself, the zone an old name stands for
    (US/Pacific is America/Los_Angeles), or the name as given when it is neither."""
    zones = canonical_zones()
    if name in zones:
        return name
    alias = get_global("zone_aliases").get(name)
    if alias in zones:
        return alias
    folded = {zone.casefold(): zone for zone in zones}
    return folded.get(name.strip().casefold(), name)


def _offset(zone: zoneinfo.ZoneInfo, now: datetime.datetime) -> tuple[datetime.timedelta, str]:
    delta = now.astimezone(zone).utcoffset() or datetime.timedelta()
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return delta, f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_label(key: str, locale: Locale, now: datetime.datetime) -> str:
    """ "(UTC+01:00) Paris, France — Central European Time", in `locale`."""
    zone = zoneinfo.ZoneInfo(key)
    _delta, offset = _offset(zone, now)
    if key == UTC:
        return f"({offset}) UTC — {UTC_NAME}"
    city = get_timezone_location(zone, locale=locale, return_city=True).rpartition("/")[2]
    territory = get_global("zone_territories").get(key, "ZZ")
    country = "" if territory in _NO_COUNTRY else locale.territories.get(territory, "")
    place = f"{city}, {country}" if country and country != city else city
    name = get_timezone_name(zone, "long", zone_variant="generic", locale=locale)
    # Without a name of its own CLDR writes "<country> (<city>) Time" or "Time: <country>":
    # nothing the place does not say already.
    region = locale.zone_formats["region"] % country if country else None
    if "(" in name or name == region:
        return f"({offset}) {place}"
    return f"({offset}) {place} — {name}"


def zone_choices(current: str = "") -> list[tuple[str, str]]:
    """Every zone as (key, label) in the active language, by today's offset then label;
    `current` first if it is a zone the list lacks (so that saving the form keeps it)."""
    locale = Locale.parse(translation.to_locale(translation.get_language() or "en"))
    now = timezone.now()
    rows = sorted(
        (_offset(zoneinfo.ZoneInfo(key), now)[0], zone_label(key, locale, now), key)
        for key in canonical_zones()
    )
    choices = [(key, label) for _delta, label, key in rows]
    if current and canonical(current) not in canonical_zones():
        choices.insert(0, (current, current))
    return choices


class ZoneSelectWidget(UnfoldAdminSelect2Widget):
    """Unfold's select2 list, searched as typed, with select2's own words ("No results
    found") in the page's language: its translation file loads between select2 and
    Django's jquery.init.js, which takes the global jQuery it needs away. As wide as its
    box, not as its longest zone (select2 would widen a phone's page to fit it)."""

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        attrs = {"style": "width: 100%", **(attrs or {})}
        attrs["class"] = f"zone-select {attrs.get('class', '')}".strip()
        super().__init__(attrs, choices)

    @property
    def media(self) -> forms.Media:
        language = (translation.get_language() or "en").split("-")[0]
        extra = "" if settings.DEBUG else ".min"
        return forms.Media(
            js=(
                f"admin/js/vendor/jquery/jquery{extra}.js",
                "admin/js/vendor/select2/select2.full.js",
                f"admin/js/vendor/select2/i18n/{language}.js",
                "admin/js/jquery.init.js",
                "unfold/js/select2.init.js",
            ),
            css={
                "screen": (
                    "admin/css/vendor/select2/select2.css",
                    "admin/css/autocomplete.css",
                    "crm/zone_select.css",
                )
            },
        )

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["lang"] = (translation.get_language() or "en").split("-")[0]
        return context


class ZoneField(forms.ChoiceField):
    """A time zone chosen in the list; an old or differently written name of a zone is
    read as the zone (" europe/paris ", US/Eastern)."""

    widget = ZoneSelectWidget
    default_error_messages = {"invalid_choice": UNKNOWN_ZONE}

    def __init__(self, *, current: str = "", **kwargs: Any) -> None:
        kwargs.pop("max_length", None)
        kwargs.pop("empty_value", None)
        super().__init__(choices=lambda: zone_choices(current), **kwargs)
        self.current = current

    def prepare_value(self, value: Any) -> Any:
        return canonical(value) if isinstance(value, str) and value else value

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return canonical(text) if text else text

    def valid_value(self, value: Any) -> bool:
        return value in canonical_zones() or (bool(value) and value == self.current)
