"""The pages recipients reach from an email: the unsubscribe page, the open pixel and the
click redirect."""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campaigns.events import tracking, unsubscribes
from campaigns.outbox import unsubscribe_links


@csrf_exempt  # RFC 8058 one-click POSTs come from mail providers, without cookies
@require_http_methods(["GET", "POST"])
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


def track_open(request: HttpRequest, token: str) -> HttpResponse:
    """The 1x1 image: always answered, whatever the token, so nothing can be probed."""
    tracking.record_open(token, request.headers.get("User-Agent", ""))
    response = HttpResponse(tracking.PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response


def track_click(request: HttpRequest, token: str) -> HttpResponse:
    """Count the click and go to the link that was in the message, and only there."""
    url = tracking.record_click(token, request.headers.get("User-Agent", ""))
    if url is None:
        raise Http404("Unknown link.")
    return HttpResponseRedirect(url)
