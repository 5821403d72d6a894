"""The one signature check for calls between Django and n8n, both directions.

Header: `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (Stripe's
scheme). Several v1 values may be sent, and several secrets may verify, for rotation.
"""

import hashlib
import hmac
import time

from django.conf import settings

HEADER = "X-Signature"
MAX_HEADER_LENGTH = 1024


class SignatureError(Exception):
    """The request is not signed by us (or is too old); the reason is for logs only."""


def signature(body: bytes, timestamp: int, secret: str) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
    """The header value for a request we send, signed with the newest secret."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = secret or settings.N8N_WEBHOOK_SECRET[0]
    return f"t={timestamp},v1={signature(body, timestamp, secret)}"


def _parse(header: str) -> tuple[int, list[str]]:
    if not header or len(header) > MAX_HEADER_LENGTH:
        raise SignatureError("missing or oversized signature header")
    timestamp, candidates = None, []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep or not value or "=" in value:
            raise SignatureError("malformed signature header")
        if key == "t":
            if not value.isdigit() or timestamp is not None:
                raise SignatureError("malformed timestamp")
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("timestamp or signature missing")
    return timestamp, candidates


def verify(header: str, body: bytes, *, now: float | None = None) -> None:
    """Raise SignatureError unless one secret signed exactly these bytes, recently."""
    timestamp, candidates = _parse(header)
    now = time.time() if now is None else now
    if abs(now - timestamp) > settings.N8N_SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureError("timestamp outside the tolerance window")
    for secret in settings.N8N_WEBHOOK_SECRET:
        expected = signature(body, timestamp, secret)
        # Compare every candidate in constant time, without stopping early on a match.
        if any([hmac.compare_digest(expected, candidate) for candidate in candidates]):
            return
    raise SignatureError("no signature matches")
