"""The one signature check for calls between Django and n8n, both directions.

Header: `X-Signature: t=<unix seconds>,n=<request id>,v1=<hex HMAC-SHA256 of
"<t>.<n>.<METHOD>.<path>.<raw body>">`. Stripe's scheme, extended the way AWS SigV4 binds
the request: a call captured for one endpoint or one dispatch does not verify on another.
The request id lets the receiver run a retried call once (see request_ids.py). Several v1
values may be sent, and several secrets may verify, for rotation.
"""

import hashlib
import hmac
import re
import secrets
import time

from django.conf import settings

HEADER = "X-Signature"
MAX_HEADER_LENGTH = 1024
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureError(Exception):
    """The request is not signed by us (or is too old); the reason is for logs only."""


def signature(
    secret: str, *, timestamp: int, request_id: str, method: str, path: str, body: bytes
) -> str:
    # No field but the path and the body can hold a dot; our routes hold none, and the URL
    # patterns match whole paths, so no other routable reading of these bytes exists.
    prefix = f"{timestamp}.{request_id}.{method.upper()}.{path}.".encode()
    return hmac.new(secret.encode(), prefix + body, hashlib.sha256).hexdigest()


def new_request_id() -> str:
    return secrets.token_urlsafe(24)


def sign(
    body: bytes,
    *,
    path: str,
    method: str = "POST",
    request_id: str | None = None,
    timestamp: int | None = None,
    secret: str | None = None,
) -> str:
    """The header value for a request we send, signed with the newest secret. A retry of
    the same call passes the same request id (and may pass the same timestamp)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    request_id = request_id or new_request_id()
    secret = secret or settings.N8N_WEBHOOK_SECRET[0]
    value = signature(
        secret, timestamp=timestamp, request_id=request_id, method=method, path=path, body=body
    )
    return f"t={timestamp},n={request_id},v1={value}"


def _parse(header: str) -> tuple[int, str, list[str]]:
    # ASCII only: compare_digest raises TypeError on other text, and WSGI passes Latin-1.
    if not header or len(header) > MAX_HEADER_LENGTH or not header.isascii():
        raise SignatureError("missing, oversized or non-ASCII signature header")
    timestamp, request_id, candidates = None, None, []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep or not value or "=" in value:
            raise SignatureError("malformed signature header")
        if key == "t":
            # fullmatch on ASCII digits: "²".isdigit() is true, and int("²") raises.
            if not TIMESTAMP.fullmatch(value) or timestamp is not None:
                raise SignatureError("malformed timestamp")
            timestamp = int(value)
        elif key == "n":
            if not REQUEST_ID.fullmatch(value) or request_id is not None:
                raise SignatureError("malformed request id")
            request_id = value
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or request_id is None or not candidates:
        raise SignatureError("timestamp, request id or signature missing")
    return timestamp, request_id, candidates


def verify(header: str, *, method: str, path: str, body: bytes, now: float | None = None) -> str:
    """The request id, if one secret signed exactly this method, path and body, recently;
    SignatureError otherwise."""
    timestamp, request_id, candidates = _parse(header)
    now = time.time() if now is None else now
    if abs(now - timestamp) > settings.N8N_SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureError("timestamp outside the tolerance window")
    for secret in settings.N8N_WEBHOOK_SECRET:
        expected = signature(
            secret, timestamp=timestamp, request_id=request_id, method=method, path=path, body=body
        )
        # Compare every candidate in constant time, without stopping early on a match.
        if any([hmac.compare_digest(expected, candidate) for candidate in candidates]):
            return request_id
    raise SignatureError("no signature matches")
