"""Callbacks that the admin's sidebar and header call with the request."""

from django.conf import settings
from django.http import HttpRequest


def is_superuser(request: HttpRequest) -> bool:
    return request.user.is_superuser


def environment_badge(request: HttpRequest) -> list[str] | None:
    return ["Development", "warning"] if settings.DEBUG else None
