"""Every time in the admin is shown in the agency's time zone, named in the page header.

A staff member sees the zone of their organization (the first they joined, if several). A
superuser has no zone of their own in this model: they see their own first membership's
zone, or the server's (settings.TIME_ZONE) when they belong to no organization.
"""

import datetime
import zoneinfo
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter

from crm.models import Membership


def zone_of(user: Any) -> zoneinfo.ZoneInfo | None:
    """The zone this user reads times in; None for the server's."""
    if not user.is_authenticated:
        return None
    name = (
        Membership.objects.filter(user=user)
        .order_by("created_at", "pk")
        .values_list("organization__timezone", flat=True)
        .first()
    )
    return zoneinfo.ZoneInfo(name) if name else None


class OrganizationTimeZoneMiddleware:
    """Activates the user's zone for the request: templates, lists and forms convert every
    aware datetime to it, and the date widgets read what staff type in it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = zone_of(request.user)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def zone_label(zone: datetime.tzinfo, now: datetime.datetime | None = None) -> str:
    """ "America/Los_Angeles (PST)": the zone's name and its abbreviation today."""
    name = str(zone)
    abbreviation = (now or timezone.now()).astimezone(zone).tzname() or ""
    if abbreviation.startswith(("+", "-")):
        abbreviation = f"UTC{abbreviation}"
    return name if abbreviation in ("", name) else f"{name} ({abbreviation})"


AT_TIME = _("at {time}")
ON_DAY_AT_TIME = _("on {day} at {time}")


def spoken_time(moment: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """ "at 05:06" today, "on Dec 3 at 05:06" another day, in the current zone and the
    current language's clock ("at 5:06 AM" in English)."""
    local = timezone.localtime(moment)
    time = formats.time_format(local, "TIME_FORMAT")
    if local.date() == timezone.localtime(now or timezone.now()).date():
        return AT_TIME.format(time=time)
    return ON_DAY_AT_TIME.format(day=formats.date_format(local, "MONTH_DAY_FORMAT"), time=time)


def time_zone(request: HttpRequest) -> dict[str, str]:
    """Context processor: the header's "Times in …" note."""
    return {"time_zone_label": zone_label(timezone.get_current_timezone())}


class LocalDayRangeFilter(RangeDateFilter):
    """Unfold's date range on a date-and-time field, read as whole days in the viewer's
    zone: "to Dec 3" includes Dec 3 (unfold's own stops at its midnight, in UTC)."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        bounds = {}
        first = local_date(self.used_parameters.get(f"{self.parameter_name}_from") or "")
        last = local_date(self.used_parameters.get(f"{self.parameter_name}_to") or "")
        if first:
            bounds[f"{self.field_path}__gte"] = _midnight(first)
        if last:
            bounds[f"{self.field_path}__lt"] = _midnight(last + datetime.timedelta(days=1))
        return queryset.filter(**bounds)


def local_date(text: str) -> datetime.date | None:
    """The day `text` names as the page's language writes dates ("05/01/2026" is 5 January
    in French, May 1 in English), or None. Unfold's own parse_date_str reads every language
    with settings.DATE_INPUT_FORMATS, the English ones."""
    try:
        return forms.DateField().to_python(text)
    except ValidationError:
        return None


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), timezone.get_current_timezone())
