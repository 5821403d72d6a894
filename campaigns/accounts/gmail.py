"""The Gmail API client: one HTTP session, token refresh, retries, and Google's errors
turned into our exceptions. A send ends in one of three kinds: Google's permanent answers
(TokenRevoked, RecipientRejected, SendFailed: the message fails, or waits for a
reconnection); passing ones, after which nothing went out and a later try may work
(Transient: QuotaExceeded, TokenUnavailable, Unavailable); and SendUncertain, when the
request left and no answer came. Reads: ReadFailed, ScopeMissing, NotFound."""

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
import urllib3
from django.conf import settings
from django.utils import timezone

from campaigns.models import EmailAccount

log = logging.getLogger(__name__)
session = requests.Session()
REFRESH_MARGIN = timedelta(minutes=5)
QUOTA_REASONS = {
    "dailyLimitExceeded",
    "userRateLimitExceeded",
    "rateLimitExceeded",
    "quotaExceeded",
}


def passing(status: int, reason: str) -> bool:
    """Whether Gmail's error answer passes with time: a rate or quota limit, an error on
    Google's side, or a token that stopped working (a fresh one is asked for): the message
    waits. Any other answer refuses this message for good."""
    return status in (401, 429) or status >= 500 or (status == 403 and reason in QUOTA_REASONS)


class GmailError(Exception):
    """Base of what the sender can go wrong with; the message is safe to show staff."""


class TokenRevoked(GmailError):
    """The refresh token no longer works: the account must be connected again."""


class Transient(GmailError):
    """Nothing was sent, and it may go later: the message waits again, the account rests."""


class TokenUnavailable(Transient):
    """No fresh access token right now (Google unreachable or erring): nothing was sent."""


class Unavailable(Transient):
    """Gmail answered 5xx still after the retries, or could not be reached: nothing was
    sent (the sandbox raises it too when its folder cannot be written)."""


class QuotaExceeded(Transient):
    """Gmail said a limit was reached (429, or 403 with a quota reason): wait, then send."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RecipientRejected(GmailError):
    """Google refused this message (bad address...): fail this message only."""


class SendFailed(GmailError):
    """Google refused the message for good (a 4xx that no retry changes)."""


class SendUncertain(GmailError):
    """The request may have reached Google but no answer came: never retried blindly."""


class ReadFailed(GmailError):
    """Gmail could not answer a read now (429, 5xx, no answer): the next run tries again."""


class ScopeMissing(GmailError):
    """The account's grant lacks the permission this call needs (HTTP 403)."""


class NotFound(GmailError):
    """No such thread (deleted), or a history id Gmail no longer keeps (HTTP 404)."""


# What an error answer of Gmail's means for the message (`answer_kind`).
QUOTA, PASSING, PERMANENT = "quota", "passing", "permanent"


def answer_kind(status: int, reason: str = "") -> str:
    """QUOTA: a limit (429, 403 with a quota reason): wait, the message is not at fault;
    PASSING: Google's side for now (5xx, 401 after a fresh token): it may go later;
    PERMANENT: Google refused this message (any other 4xx): it fails."""
    if status == 429 or (status == 403 and reason in QUOTA_REASONS):
        return QUOTA
    if status >= 500 or status == 401:
        return PASSING
    return PERMANENT


@dataclass(frozen=True)
class Sent:
    message_id: str
    thread_id: str


def _google_reason(response: requests.Response) -> tuple[str, str]:
    try:
        error = response.json().get("error", {})
    except ValueError:
        return "", response.text[:200]
    if isinstance(error, str):  # OAuth endpoints: {"error": "invalid_grant", ...}
        return error, response.json().get("error_description", error)
    details = error.get("errors") or [{}]
    return details[0].get("reason", error.get("status", "")), error.get("message", "")


def refresh_access_token(account: EmailAccount) -> str:
    """Exchange the refresh token for a new access token and store it (encrypted)."""
    try:
        response = session.post(
            settings.GOOGLE_TOKEN_URI,
            data={
                "grant_type": "refresh_token",
                "refresh_token": account.refresh_token,
                "client_id": settings.GOOGLE_CLIENT_ID,
                "client_secret": settings.GOOGLE_CLIENT_SECRET,
            },
            timeout=settings.GMAIL_TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        reason = type(error).__name__
        raise TokenUnavailable(f"Google's token endpoint did not answer ({reason})") from None
    if response.status_code != 200:
        reason, description = _google_reason(response)
        if reason == "invalid_grant":
            account.require_reconnect(
                "Google refused the saved authorization "
                "(revoked or expired): connect the account again."
            )
            raise TokenRevoked(description or reason)
        raise TokenUnavailable(f"token refresh failed: HTTP {response.status_code} {reason}")
    token = response.json()
    account.access_token = token["access_token"]
    account.token_expires_at = timezone.now() + timedelta(
        seconds=int(token.get("expires_in", 3600))
    )
    account.save(update_fields=["access_token", "token_expires_at", "updated_at"])
    return account.access_token


def access_token(account: EmailAccount) -> str:
    if account.needs_reconnect:
        raise TokenRevoked("the account must be connected again")
    expires = account.token_expires_at
    if account.access_token and expires and expires - REFRESH_MARGIN > timezone.now():
        return account.access_token
    return refresh_access_token(account)


def _retry_after(response: requests.Response | None) -> float | None:
    if response is not None and response.headers.get("Retry-After", "").isdigit():
        return float(response.headers["Retry-After"])
    return None


def _retry_delay(attempt: int, response: requests.Response | None) -> float:
    said = _retry_after(response)
    if said is not None:
        return min(said, settings.GMAIL_BACKOFF_MAX_SECONDS)
    base = settings.GMAIL_BACKOFF_BASE_SECONDS * (2**attempt)
    # Full jitter (AWS architecture blog): spreads retries of many senders apart.
    return random.uniform(0, min(base, settings.GMAIL_BACKOFF_MAX_SECONDS))


def _never_sent(error: requests.RequestException) -> bool:
    """The connection was never made (refused, no route, no name, connect timeout): the
    request did not leave, so nothing was sent."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def send(account: EmailAccount, raw: str, thread_id: str = "") -> Sent:
    """users.messages.send, with refresh on 401 and backoff on 429/5xx/connect failures.
    What lasts beyond the retries is Transient (QuotaExceeded, Unavailable) and the
    message may go later; a request that left without an answer is SendUncertain."""
    url = f"{settings.GMAIL_API_BASE_URL}/gmail/v1/users/me/messages/send"
    body: dict[str, Any] = {"raw": raw}
    if thread_id:
        body["threadId"] = thread_id
    refreshed = False
    last = "no answer"
    for attempt in range(settings.GMAIL_MAX_ATTEMPTS):
        token = access_token(account)
        response = None
        try:
            response = session.post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=settings.GMAIL_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            if not _never_sent(error):
                # The message may have been accepted: retrying could send it twice.
                raise SendUncertain(f"no answer from Gmail ({type(error).__name__})") from None
            last = "could not connect to Gmail"  # the request never left: safe to retry
        else:
            if response.status_code == 200:
                return _sent(response)
            reason, message = _google_reason(response)
            last = f"HTTP {response.status_code} {reason}: {message}".strip()
            if response.status_code == 401:
                if refreshed:  # a fresh token refused too: Google's side, for now
                    raise TokenUnavailable(last)
                refreshed = True
                refresh_access_token(account)
                continue
            if response.status_code == 403 and reason in QUOTA_REASONS:
                wait = 24 * 3600 if reason == "dailyLimitExceeded" else 60
                raise QuotaExceeded(last, retry_after=wait)
            if response.status_code == 400:
                raise RecipientRejected(last)
            if response.status_code != 429 and response.status_code < 500:
                raise SendFailed(last)
        if attempt + 1 < settings.GMAIL_MAX_ATTEMPTS:
            time.sleep(_retry_delay(attempt, response))
    given_up = f"gave up after {settings.GMAIL_MAX_ATTEMPTS} attempts: {last}"
    if response is not None and response.status_code == 429:
        raise QuotaExceeded(given_up, retry_after=_retry_after(response) or 60)
    raise Unavailable(given_up)


def _sent(response: requests.Response) -> Sent:
    """Gmail's 200: the message went; an answer without its id cannot say which it is."""
    try:
        data = response.json()
        return Sent(message_id=str(data["id"]), thread_id=str(data.get("threadId", "")))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SendUncertain("Gmail answered 200 without a message id") from None


def read(account: EmailAccount, path: str, params: list[tuple[str, str]] | None = None) -> dict:
    """A GET on users/me/<path>, refreshing the token once on 401. No retries and no
    waiting: a reader that runs on a schedule retries on its next run."""
    url = f"{settings.GMAIL_API_BASE_URL}/gmail/v1/users/me/{path}"
    for attempt in range(2):
        token = access_token(account)
        try:
            response = session.get(
                url,
                params=params or [],
                headers={"Authorization": f"Bearer {token}"},
                timeout=settings.GMAIL_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise ReadFailed(f"no answer from Gmail ({type(error).__name__})") from None
        if response.status_code == 200:
            return response.json()
        reason, message = _google_reason(response)
        last = f"HTTP {response.status_code} {reason}: {message}".strip()
        if response.status_code == 401 and attempt == 0:
            refresh_access_token(account)
            continue
        if response.status_code == 403 and reason == "insufficientPermissions":
            raise ScopeMissing(last)
        if response.status_code == 404:
            raise NotFound(last)
        break
    raise ReadFailed(last)


def revoke(account: EmailAccount) -> None:
    """Ask Google to revoke the account's grant; a token already dead is not an error."""
    token = account.refresh_token or account.access_token
    if token:
        try:
            session.post(
                settings.GOOGLE_REVOKE_URI,
                data={"token": token},
                timeout=settings.GMAIL_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            log.warning("revoking account %s failed: %s", account.pk, type(error).__name__)
