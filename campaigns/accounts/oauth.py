"""Connecting a Gmail account: Google's consent with state and PKCE, then the tokens stored
encrypted in an EmailAccount of the staff member's organization. An account that opts in to
reply and bounce detection also asks for the read-only gmail.metadata permission."""

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from campaigns.accounts import gmail
from campaigns.content import public_address
from campaigns.models import EmailAccount
from crm.models import Organization

# We check the granted scopes ourselves (below), so a narrower grant is not an exception.
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")

SESSION_KEY = "gmail_oauth"
SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"

DENIED = "Google connection cancelled: access was not granted."
STATE_MISMATCH = "This Google sign-in did not start here (or was already used). Please try again."
NO_REFRESH_TOKEN = (
    "Google did not return a long-lived authorization. Remove this app at "
    "myaccount.google.com/permissions, then connect again."
)
NO_SEND_SCOPE = "Permission to send email was not granted: tick “Send email” on Google's page."
GOOGLE_ERROR = "Google refused the connection ({reason}). Please try again."
METADATA_NOT_GRANTED = (
    "Reply and bounce detection is off: Google did not allow reading message headers. "
    "Reconnect the account and tick “View your email message metadata” to turn it on."
)


class ConnectError(Exception):
    """A connection attempt that failed; the message is for staff."""


def missing_settings() -> list[str]:
    """The Google client settings left empty (production refuses to start without them)."""
    names = ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET")
    return [name for name in names if not getattr(settings, name)]


def client_configured() -> bool:
    return not missing_settings()


def redirect_uri() -> str:
    return public_address.base_url() + reverse("gmail_oauth_callback")


def scopes_for(*, detect_replies: bool) -> list[str]:
    extra = [settings.GMAIL_METADATA_SCOPE] if detect_replies else []
    return [*settings.GMAIL_SCOPES, *extra]


def _flow(scopes: list[str], code_verifier: str | None = None) -> Flow:
    config = {
        "web": {
            "client_id": settings.GOOGLE_CLIENT_ID,
            "client_secret": settings.GOOGLE_CLIENT_SECRET,
            "auth_uri": settings.GOOGLE_AUTH_URI,
            "token_uri": settings.GOOGLE_TOKEN_URI,
        }
    }
    return Flow.from_client_config(
        config,
        scopes=scopes,
        redirect_uri=redirect_uri(),
        code_verifier=code_verifier,
        autogenerate_code_verifier=code_verifier is None,
    )


def start(session: Any, organization: Organization, *, detect_replies: bool = False) -> str:
    """The URL of Google's consent page; state and PKCE verifier wait in the session."""
    flow = _flow(scopes_for(detect_replies=detect_replies))
    state = secrets.token_urlsafe(32)
    url, _ = flow.authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true", state=state
    )
    session[SESSION_KEY] = {
        "state": state,
        "verifier": flow.code_verifier,
        "organization": str(organization.pk),
        "detect_replies": detect_replies,
    }
    return url


@dataclass(frozen=True)
class Connected:
    account: EmailAccount
    created: bool


def finish(session: Any, params: Any, user: Any) -> Connected:
    """Check the callback, exchange the code, and store the account. Single use: the pending
    connection is used up by a callback that carries its state, and only by one (a link
    from another site, which cannot know the state, leaves it waiting for Google's)."""
    pending = session.get(SESSION_KEY)
    state = params.get("state", "")
    if not pending or not secrets.compare_digest(pending["state"].encode(), state.encode()):
        raise ConnectError(STATE_MISMATCH)
    session.pop(SESSION_KEY, None)
    if params.get("error"):
        raise ConnectError(DENIED)
    code = params.get("code")
    if not code:
        raise ConnectError(GOOGLE_ERROR.format(reason="no authorization code"))
    organization = Organization.objects.get(pk=pending["organization"])
    detect_replies = bool(pending.get("detect_replies"))
    flow = _flow(scopes_for(detect_replies=detect_replies), code_verifier=pending["verifier"])
    try:
        token = flow.fetch_token(code=code)
    except OAuth2Error as error:
        raise ConnectError(GOOGLE_ERROR.format(reason=error.error)) from None
    except (requests.RequestException, ValueError) as error:
        raise ConnectError(GOOGLE_ERROR.format(reason=type(error).__name__)) from None
    scopes = token.get("scope", [])
    scopes = scopes.split() if isinstance(scopes, str) else scopes
    if SEND_SCOPE not in scopes:
        raise ConnectError(NO_SEND_SCOPE)
    if not token.get("refresh_token"):
        raise ConnectError(NO_REFRESH_TOKEN)
    profile = _userinfo(token["access_token"])
    return _store(organization, user, profile, token, scopes, detect_replies)


def _userinfo(access_token: str) -> dict:
    try:
        response = gmail.session.get(
            settings.GOOGLE_USERINFO_URI,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.GMAIL_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise ConnectError(GOOGLE_ERROR.format(reason=type(error).__name__)) from None
    if response.status_code != 200 or not response.json().get("email"):
        raise ConnectError(GOOGLE_ERROR.format(reason=f"profile HTTP {response.status_code}"))
    return response.json()


def _store(
    organization: Organization,
    user: Any,
    profile: dict,
    token: dict,
    scopes: list[str],
    detect_replies: bool,
) -> Connected:
    address = profile["email"].lower()
    values: dict[str, Any] = {
        "user": user,
        "display_name": profile.get("name") or address,
        "access_token": token["access_token"],
        "refresh_token": token["refresh_token"],
        "token_expires_at": timezone.now() + timedelta(seconds=int(token.get("expires_in", 3600))),
        "provider": EmailAccount.Provider.GMAIL,
        "is_active": True,
        "needs_reconnect": False,
        "paused_until": None,
        "last_error": "",
        "granted_scopes": " ".join(scopes),
        # A new grant: the next check starts afresh, and says again what goes wrong.
        "replies_history_id": "",
        "replies_error": "",
    }
    if detect_replies:
        values["detect_replies"] = True  # a plain reconnect keeps the account's choice
    with transaction.atomic():
        account, created = EmailAccount.objects.update_or_create(
            organization=organization,
            email_address__iexact=address,
            defaults=values,
            create_defaults={**values, "email_address": address},
        )
        if account.detect_replies and not account.may_read_headers:
            EmailAccount.objects.filter(pk=account.pk).update(replies_error=METADATA_NOT_GRANTED)
        if not EmailAccount.objects.filter(organization=organization, is_primary=True).exists():
            try:
                with transaction.atomic():
                    EmailAccount.objects.filter(pk=account.pk).update(is_primary=True)
            except IntegrityError:
                pass  # another account became primary at the same moment
    account.refresh_from_db()
    return Connected(account=account, created=created)


def disconnect(account: EmailAccount) -> None:
    """Revoke Google's grant and keep the account, inactive and without tokens."""
    gmail.revoke(account)
    account.access_token = account.refresh_token = ""
    account.token_expires_at = None
    account.is_active = account.is_primary = False
    account.save()
