"""The pages recipients reach from an email: the unsubscribe and preference page, the open
pixel and the click redirect.

The unsubscribe page is in the language of the campaign the link came in (its own, or its
agency's: Campaign.email_language), every string through gettext; a link that names no
campaign reads in the agency's language, and one we cannot read in the browser's.

A GET shows the choices and changes nothing (link scanners fetch it); a POST without a
choice is the mail app's one-click unsubscribe (RFC 8058: no cookies, no redirect) and
leaves everything; a POST with a choice leaves all email from the agency, or only the
campaign the link came in, or only its kind.

Anyone can reach these pages without signing in, so each is rate-limited per client address
(django-ratelimit): past the limit, a 429 that reads and writes nothing.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from campaigns.audiences import preferences
from campaigns.events import tracking, unsubscribes
from campaigns.models import Campaign
from campaigns.outbox import unsubscribe_links
from crm.models import Lead

TEMPLATE = "campaigns/unsubscribe.html"
# What a lead may leave, in their words (the agency's language).
KIND_WORDS = {
    Campaign.Type.BLAST: _("newsletters and announcements"),
    Campaign.Type.SEQUENCE: _("follow-up emails"),
    Campaign.Type.LISTING_ALERT: _("listing alerts"),
}
ALL, CAMPAIGN, KIND = "all", "campaign", "kind"

TOO_MANY = _("Too many requests from your address: try again in a minute.")


def tracking_rate(group: str, request: HttpRequest) -> str:
    return settings.TRACKING_RATE


def unsubscribe_rate(group: str, request: HttpRequest) -> str:
    return settings.UNSUBSCRIBE_RATE


def rate_limited(rate: Callable[[str, HttpRequest], str]) -> Callable:
    """Count the hit against the client's address; past `rate`, answer 429 instead."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            group = f"public:{view.__name__}"
            if is_ratelimited(request, group=group, key="ip", rate=rate, increment=True):
                # A lead's, in their browser's language: nothing is read to know more.
                with translation.override(translation.get_language_from_request(request)):
                    said = str(TOO_MANY)
                response = HttpResponse(said, status=429, content_type="text/plain")
                response["Retry-After"] = "60"
                return response
            return view(request, *args, **kwargs)

        return limited

    return decorator


@csrf_exempt  # RFC 8058 one-click POSTs come from mail providers, without cookies
@require_http_methods(["GET", "POST"])
@rate_limited(unsubscribe_rate)
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    link = unsubscribe_links.link_for(token)
    if link is None:
        language = translation.get_language_from_request(request)
        context = {"invalid": True, "language": language}
        return _in_language(language, lambda: render(request, TEMPLATE, context, status=404))
    lead = link.lead
    campaign = _campaign_of(request, lead)
    language = campaign.email_language() if campaign else lead.organization.language
    return _in_language(language, lambda: _answer(request, lead, campaign, link.is_test, token))


def _in_language(language: str, answer: Callable[[], HttpResponse]) -> HttpResponse:
    """The page made in `language`, saying so. Overridden, not activated: a page outside
    the admin must not leave its language to the next request this thread serves."""
    with translation.override(language):
        response = answer()
    response["Content-Language"] = language
    return response


def _answer(
    request: HttpRequest, lead: Lead, campaign: Campaign | None, is_test: bool, token: str
) -> HttpResponse:
    organization = lead.organization
    context: dict[str, Any] = {
        "organization": organization,
        "token": token,
        "language": translation.get_language(),
        "choices": _choices(campaign),
        "test": is_test,
    }
    if request.method != "POST":
        context["done"] = bool(lead.unsubscribed_at) and not is_test
        return render(request, TEMPLATE, context)
    scope = request.POST.get("scope", ALL)  # the mail app's one click names none: all
    chosen = dict((value, words) for value, words, _ in context["choices"]).get(scope)
    if chosen is None:
        scope, chosen = ALL, context["choices"][0][1]
    if not is_test:  # a test message's link opens the page and changes nothing
        _apply(request, lead, scope, campaign)
    context.update(done=True, left=chosen, scope=scope)
    return render(request, TEMPLATE, context)


def _campaign_of(request: HttpRequest, lead: Lead) -> Campaign | None:
    """The campaign the link came in, when it names one of the lead's agency's."""
    value = request.GET.get(unsubscribe_links.CAMPAIGN_PARAMETER, "")
    if len(value) != 32 or not all(c in "0123456789abcdef" for c in value):
        return None
    return Campaign.objects.filter(pk=value, organization=lead.organization_id).first()


def _choices(campaign: Campaign | None) -> list[tuple[str, Any, Any]]:
    """(value, what is left, the words of its choice): everything first, the default."""
    choices: list[tuple[str, Any, Any]] = [(ALL, _("all email"), _("All email from us"))]
    if campaign is not None:
        campaign_id, kind = preferences.preference_target(campaign)
        name = Campaign.objects.filter(pk=campaign_id).values_list("name", flat=True).first()
        choices.append((CAMPAIGN, name, _("Only “%(name)s”") % {"name": name}))
        words = KIND_WORDS[Campaign.Type(kind)]
        choices.append((KIND, words, _("Only %(kind)s") % {"kind": words}))
    return choices


def _apply(request: HttpRequest, lead: Lead, scope: str, campaign: Campaign | None) -> None:
    if scope == CAMPAIGN and campaign is not None:
        unsubscribes.leave(lead, campaign=campaign)
    elif scope == KIND and campaign is not None:
        unsubscribes.leave(lead, kind=preferences.preference_target(campaign)[1])
    else:
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        how = unsubscribes.BY_ONE_CLICK if one_click else unsubscribes.BY_LINK
        unsubscribes.unsubscribe(lead, how=how)


@rate_limited(tracking_rate)
def track_open(request: HttpRequest, token: str) -> HttpResponse:
    """The 1x1 image: always answered, whatever the token, so nothing can be probed."""
    tracking.record_open(token, request.headers.get("User-Agent", ""))
    response = HttpResponse(tracking.PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response


@rate_limited(tracking_rate)
def track_click(request: HttpRequest, token: str) -> HttpResponse:
    """Count the click and go to the link that was in the message, and only there."""
    url = tracking.record_click(token, request.headers.get("User-Agent", ""))
    if url is None:
        raise Http404("Unknown link.")
    return HttpResponseRedirect(url)
