"""The only pages outside the admin: Google's OAuth callback and the unsubscribe page."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campaigns.accounts import gmail, oauth
from campaigns.events import tracking, unsubscribes
from campaigns.outbox import sending


@staff_member_required
def gmail_oauth_callback(request: HttpRequest) -> HttpResponse:
    """Where Google sends staff back; always returns to the accounts list (no `next`)."""
    target = HttpResponseRedirect(reverse("admin:campaigns_emailaccount_changelist"))
    try:
        connected = oauth.finish(request.session, request.GET, request.user)
    except oauth.ConnectError as error:
        messages.error(request, str(error))
        return target
    account = connected.account
    verb = "Connected" if connected.created else "Reconnected"
    try:
        sending.connection_test(account)
    except gmail.GmailError as error:
        messages.warning(
            request, f"{verb} {account.email_address}, but the test email failed: {error}"
        )
    else:
        messages.success(
            request, f"{verb} {account.email_address}. A test email was sent to that address."
        )
    if account.detect_replies and not account.may_read_headers:
        messages.warning(request, oauth.METADATA_NOT_GRANTED)
    return target


@csrf_exempt  # RFC 8058 one-click POSTs come from mail providers, without cookies
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    link = unsubscribes.link_for(token)
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
