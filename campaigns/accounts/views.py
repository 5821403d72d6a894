"""Where Google sends staff back after its consent screen (the OAuth callback)."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from campaigns.accounts import gmail, oauth, providers


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
        providers.connection_test(account)
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
