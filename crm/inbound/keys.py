"""An agency's keys for POST /api/leads/: made with a random secret shown once, kept as
its SHA-256 (the secret has 256 bits: a fast hash is enough, and a lookup by it is one
index probe), revoked without being deleted (the leads they brought keep saying so)."""

import hashlib
import secrets
import uuid
from typing import Any

from django.utils import timezone

from crm.models import InboundKey, Organization

PREFIX = "lk_"
SHOWN = 10  # the characters of a key kept in clear, to tell keys apart


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(key: InboundKey) -> str:
    """Give an unsaved key its secret (kept as a hash) and return it: show it once."""
    secret = PREFIX + secrets.token_urlsafe(32)
    key.prefix, key.key_hash = secret[:SHOWN], key_hash(secret)
    return secret


def inbound_key_create(
    *,
    organization: Organization,
    name: str,
    source: str = "",
    enrol_in: uuid.UUID | None = None,
    thanks_url: str = "",
    user: Any = None,
) -> tuple[InboundKey, str]:
    """A new key and its secret, which nobody can read again: show it once."""
    key = InboundKey(
        organization=organization,
        name=name,
        source=source,
        enrol_in=enrol_in,
        thanks_url=thanks_url,
        created_by=user if getattr(user, "pk", None) else None,
    )
    secret = new_secret(key)
    key.full_clean()
    key.save()
    return key, secret


def inbound_key_revoke(*, key: InboundKey) -> bool:
    """Refuse the key from now on; False when it was revoked already."""
    return bool(
        InboundKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def key_for(secret: str) -> InboundKey | None:
    """The key this secret opens (revoked ones too: the caller says which), or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    return (
        InboundKey.objects.select_related("organization").filter(key_hash=key_hash(secret)).first()
    )
