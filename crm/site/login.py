"""The admin's login under django-axes: the lockout is said on the styled login page, and
the client's address is read behind a proxy only as far as the proxy setting trusts it. A
wrong old password on "Change password" counts as a failed login too."""

import ipaddress
import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.forms import AdminOwnPasswordChangeForm, AuthenticationForm

LOCKED_OUT = _("Too many failed attempts: try again in {minutes} minutes.")
LOCKED_OUT_STATUS = 429


def locked_out_message() -> str:
    # Every failure during a lockout restarts it (axes' default), so the wait is the whole
    # cool-off from this attempt.
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return LOCKED_OUT.format(minutes=minutes)


class LoginForm(AuthenticationForm):
    """unfold's login form; a locked-out login gets the lockout message, not "wrong
    password" (axes refuses it before the password is even checked)."""

    def get_invalid_login_error(self) -> ValidationError:
        if getattr(self.request, "axes_locked_out", False):
            return ValidationError(locked_out_message(), code="locked_out")
        return super().get_invalid_login_error()


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """What axes answers a locked-out login with: the login page as the view rendered it
    (its form carries the message), or the message alone where there is no such page."""
    context = getattr(original_response, "context_data", None) or {}
    if isinstance(original_response, TemplateResponse) and isinstance(
        context.get("form"), LoginForm
    ):
        original_response.status_code = LOCKED_OUT_STATUS
        return original_response
    return HttpResponse(
        locked_out_message(), status=LOCKED_OUT_STATUS, content_type="text/plain; charset=utf-8"
    )


def client_address(request: HttpRequest) -> str:
    """The address a lockout is counted against. With TRUSTED_PROXY_COUNT proxies in front,
    each appends the address it received the request from to X-Forwarded-For, so the
    client is that many entries from the right; whatever the client wrote is further left
    and ignored. (python-ipware's proxy count does not model appended headers: it returns
    nothing for a single proxy's one-entry header, so axes' ipware settings are not used.)"""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count == 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote  # not through the configured proxies: the direct peer is the client
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


class PasswordChangeForm(AdminOwnPasswordChangeForm):
    """unfold's own-password form, where a wrong old password counts as a failed login
    (django-axes, as at the login page): guessing the password of a session left open is
    throttled like guessing it at the door, and a locked-out user cannot change it."""

    def __init__(self, user: Any, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        credentials = {"username": self.user.get_username()}
        if AxesProxyHandler.is_locked(self.request, credentials):
            raise ValidationError(locked_out_message(), code="locked_out")
        try:
            return super().clean_old_password()
        except ValidationError:
            user_login_failed.send(sender=__name__, credentials=credentials, request=self.request)
            raise


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


def password_change(request: HttpRequest) -> HttpResponseBase:
    """The admin's "Change password" page (settings/urls.py serves it at its address), as
    unfold's site makes it but for the form."""
    request.current_app = admin.site.name
    return PasswordChangeView.as_view(
        success_url=reverse("admin:password_change_done"),
        extra_context=admin.site.each_context(request),
    )(request)
