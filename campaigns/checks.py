"""System checks for what would otherwise fail silently at run time."""

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register


@register()
def check_field_encryption_keys(**kwargs: Any) -> list[Error]:
    """django-encrypted-model-fields returns ciphertext for a bad key instead of failing."""
    keys = settings.FIELD_ENCRYPTION_KEY
    keys = keys if isinstance(keys, (list, tuple)) else [keys]
    errors = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"FIELD_ENCRYPTION_KEY entry {position} is not a valid Fernet key.",
                    hint="Generate one with: python -c 'from cryptography.fernet import "
                    "Fernet; print(Fernet.generate_key().decode())'",
                    id="campaigns.E001",
                )
            )
    return errors
