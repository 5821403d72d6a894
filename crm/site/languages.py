"""The language the admin speaks to a staff member: the one they chose (their preferences,
the user menu's switcher), else their browser's, else their agency's.

Django's LocaleMiddleware picks a language for every request from the browser alone (the
`django_language` cookie, then Accept-Language, then settings.LANGUAGE_CODE); the
StaffLanguageMiddleware below, once the user is known, puts their own choice first and
their agency's language in place of LANGUAGE_CODE. Pages a lead reads (unsubscribe,
errors) choose their own language and are not affected.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import trans_real
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from crm.models import Membership, StaffPreferences

AUTOMATIC = _("Automatic: my browser's language, else my agency's")
SAVED = _("Your preferences were saved.")
PREFERENCES = _("Preferences")


def supported(code: str) -> str | None:
    """The language of settings.LANGUAGES that `code` names ("fr-CA" -> "fr"), or None."""
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def browser_language(request: HttpRequest) -> str | None:
    """The language this browser asks for: the switcher's cookie, then the first language
    of Accept-Language that we speak; None when it asks for none of ours (not
    LANGUAGE_CODE, as Django's own lookup would answer)."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie and supported(cookie):
        return supported(cookie)
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code != "*" and trans_real.language_code_re.search(code) and supported(code):
            return supported(code)
    return None


def chosen_language(user: Any) -> str:
    """The language this user chose in their preferences, or ""."""
    return (
        StaffPreferences.objects.filter(user=user).values_list("language", flat=True).first() or ""
    )


def agency_language(user: Any) -> str | None:
    """The language of the user's agency (the first they joined), or None."""
    return (
        Membership.objects.filter(user=user)
        .order_by("created_at", "pk")
        .values_list("organization__language", flat=True)
        .first()
    )


def admin_language(request: HttpRequest) -> str | None:
    """The language of this signed-in staff member's pages; None for a visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return supported(
        chosen_language(user)
        or browser_language(request)
        or agency_language(user)
        or settings.LANGUAGE_CODE
    )


class StaffLanguageMiddleware:
    """After AuthenticationMiddleware: the signed-in user's language replaces the one
    LocaleMiddleware took from the browser, for this request (and its Content-Language)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = admin_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def save_choice(user: Any, language: str) -> None:
    StaffPreferences.objects.update_or_create(user=user, defaults={"language": language})


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """The user menu's language switcher: Django's set_language (the cookie, back to the
    page), and for a signed-in user their preference, so the choice follows them to
    another browser."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        save_choice(request.user, language)
    return response


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the admin"),
        required=False,
        help_text=_(
            "Dates, times and numbers follow it too. Automatic: the language your browser "
            "asks for, if we speak it, else your agency's."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", AUTOMATIC),
            *(
                (code, translation.get_language_info(code)["name_local"])
                for code, _name in settings.LANGUAGES
            ),
        ]


def preferences(request: HttpRequest) -> HttpResponse:
    """The user menu's *Preferences*: the admin's language, or Automatic."""
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            language = form.cleaned_data["language"]
            save_choice(request.user, language)
            response = HttpResponseRedirect(reverse("admin:preferences"))
            if language:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language)
            else:
                # Automatic: the switcher's cookie must not keep answering for the browser.
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
                request.COOKIES.pop(settings.LANGUAGE_COOKIE_NAME, None)
            translation.activate(admin_language(request) or settings.LANGUAGE_CODE)
            messages.success(request, str(SAVED))
            return response
    else:
        form = PreferencesForm(initial={"language": chosen_language(request.user)})
    context = {
        **admin.site.each_context(request),
        "title": PREFERENCES,
        "form": form,
    }
    return render(request, "admin/preferences.html", context)


def account_links(request: HttpRequest) -> list[dict[str, Any]]:
    """The user menu's links (UNFOLD["ACCOUNT"]): unfold drops its own *Change password*
    once we give any, so it is here again."""
    if not request.user.is_authenticated:
        return []  # the sign-in page
    links: list[dict[str, Any]] = [{"title": PREFERENCES, "link": reverse("admin:preferences")}]
    if request.user.has_usable_password():
        links.append({"title": _("Change password"), "link": reverse("admin:password_change")})
    return links
