"""Callbacks that the admin's sidebar and header call with the request."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from crm.site.tenancy import organizations_of

ALL_AGENCIES = _("All agencies")


def is_superuser(request: HttpRequest) -> bool:
    return request.user.is_superuser


def environment_badge(request: HttpRequest) -> list[str] | None:
    return ["Development", "warning"] if settings.DEBUG else None


def home_title(request: HttpRequest) -> str:
    """The home is the agency's: titled with its name (names, for staff of several)."""
    if request.user.is_superuser:
        return str(ALL_AGENCIES)
    names = organizations_of(request.user).order_by("name").values_list("name", flat=True)
    return " · ".join(names) or str(settings.UNFOLD["SITE_TITLE"])
