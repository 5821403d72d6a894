"""Styled pages for 403 and 404 (and a failed CSRF check): in the admin's look for admin
addresses, with the sidebar for staff; a plain page elsewhere (links in emails)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

NOT_FOUND = _("Page not found")
NOT_FOUND_TEXT = _(
    "There is nothing at this address. The page may have been deleted, the link may be "
    "mistyped, or it may belong to another agency."
)
GONE_LINK = _("This link leads nowhere: it may be mistyped or out of date.")
FORBIDDEN = _("Not allowed")
FORBIDDEN_TEXT = _(
    "Your account may not open this page. If you need it, ask an owner of your agency to "
    "give you access."
)
EXPIRED = _("This form has expired")
EXPIRED_TEXT = _(
    "The page was open for too long, or you were signed out meanwhile, so it was not sent. "
    "Go back, reload the page and try again."
)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, NOT_FOUND, NOT_FOUND_TEXT)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403, FORBIDDEN, FORBIDDEN_TEXT)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(request, 403, EXPIRED, EXPIRED_TEXT)


def error_page(request: HttpRequest, status: int, title: Any, text: Any) -> HttpResponse:
    context: dict[str, Any] = {"title": title, "text": text, "status": status}
    if not request.path.startswith(reverse("admin:index")):
        if status == 404:
            context["text"] = GONE_LINK  # someone following a link from an email
        # A lead, whose agency we do not know here: in their browser's language.
        language = translation.get_language_from_request(request)
        with translation.override(language):
            context["language"] = translation.get_language()
            return render(request, "errors/public.html", context, status=status)
    context.update(admin.site.each_context(request), home=reverse("admin:index"))
    user = getattr(request, "user", None)
    staff = user is not None and user.is_active and user.is_staff
    template = "errors/admin.html" if staff else "errors/admin_signed_out.html"
    return render(request, template, context, status=status)
