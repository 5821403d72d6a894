"""The pages recipients reach from an email: the unsubscribe page, the open pixel and the
click redirect. Anyone can reach them without signing in, so each is rate-limited per client
address (django-ratelimit): past the limit, a 429 that reads and writes nothing."""

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from campaigns.events import tracking, unsubscribes
from campaigns.outbox import unsubscribe_links

TOO_MANY = "Too many requests from your address: try again in a minute."


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
                response = HttpResponse(TOO_MANY, status=429, content_type="text/plain")
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
        return render(request, "campaigns/unsubscribe.html", {"invalid": True}, status=404)
    lead = link.lead
    context = {"organization": lead.organization, "token": token}
    if link.is_test:
        # Staff see the page their lead would see; the lead stays subscribed.
        context.update(test=True, done=request.method == "POST")
        return render(request, "campaigns/unsubscribe.html", context)
    if request.method == "POST":
        unsubscribes.unsubscribe(lead)
        return render(request, "campaigns/unsubscribe.html", {**context, "done": True})
    context["done"] = lead.unsubscribed_at is not None
    return render(request, "campaigns/unsubscribe.html", context)


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
