"""Production refuses weak secrets at start, with the reason: each must hold at least 32
random bytes (256 bits). Randomness cannot be proven from one sample, so this refuses what
is plainly not random: too short for 256 bits in its alphabet, few distinct characters,
one pattern repeated, or a Fernet key of zeros or few distinct bytes."""

import base64
import binascii
import math
import string

from django.core.exceptions import ImproperlyConfigured

MIN_BITS = 256
# 32 random bytes hold about 30 distinct values; fewer than this is no random key.
MIN_DISTINCT_BYTES = 20
# A random text's characters spread over its alphabet: at least this share of the most
# its length allows (random hex or base64: above 0.77 in 200,000 draws; "aaaa": 0;
# "Password1Password2...": 0.57).
MIN_SPREAD = 0.7

TOO_SHORT = (
    "{name} is too short to hold 32 random bytes: {length} characters of {alphabet} "
    'carry at most {bits} bits, and 256 are needed (e.g. python -c "import secrets; '
    'print(secrets.token_urlsafe(32))")'
)
NOT_RANDOM = "{name} is not random ({why}): use 32 random bytes, e.g. secrets.token_urlsafe(32)"
FERNET_NOT_RANDOM = (
    "{name} is not a random key ({why}): make one with "
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)

_ALPHABETS = [
    ("hexadecimal digits", set(string.hexdigits)),
    ("base64 characters", set(string.ascii_letters + string.digits + "+/=-_")),
    ("printable characters", set(string.printable) - set(string.whitespace)),
]


def _alphabet(value: str) -> tuple[str, int]:
    for name, characters in _ALPHABETS:
        if set(value) <= characters:
            size = 16 if name.startswith("hex") else 64 if name.startswith("base64") else 94
            return name, size
    return "characters", 94


def _repeats_a_pattern(value: str | bytes) -> bool:
    """The value is a shorter piece repeated (`abcabcabc`, sixteen zero bytes twice)."""
    length = len(value)
    return any(
        value == (value[:period] * (length // period + 1))[:length]
        for period in range(1, length // 2 + 1)
    )


def _spread(value: str, alphabet_size: int) -> float:
    """The Shannon entropy of the characters, over the most the length and the alphabet
    allow."""
    counts = [value.count(character) for character in set(value)]
    entropy = -sum(count / len(value) * math.log2(count / len(value)) for count in counts)
    most = math.log2(min(len(value), alphabet_size))
    return entropy / most if most else 0.0


def check_text_secret(name: str, value: str) -> None:
    """A shared secret (N8N_WEBHOOK_SECRET): raises ImproperlyConfigured when weak."""
    alphabet, size = _alphabet(value)
    bits = int(len(value) * math.log2(size))
    if bits < MIN_BITS:
        raise ImproperlyConfigured(
            TOO_SHORT.format(name=name, length=len(value), alphabet=alphabet, bits=bits)
        )
    if _repeats_a_pattern(value):
        raise ImproperlyConfigured(NOT_RANDOM.format(name=name, why="one pattern repeated"))
    if _spread(value, size) < MIN_SPREAD:
        raise ImproperlyConfigured(NOT_RANDOM.format(name=name, why="too few distinct characters"))


def check_fernet_key(name: str, value: str) -> None:
    """A Fernet key (FIELD_ENCRYPTION_KEY): 32 bytes, base64url; raises ImproperlyConfigured
    when they are zeros or plainly not random. (A malformed key is refused by the
    encrypted fields themselves, naming the setting.)"""
    try:
        key = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError):
        return
    if len(key) != 32:
        return
    if not any(key):
        raise ImproperlyConfigured(FERNET_NOT_RANDOM.format(name=name, why="all zeros"))
    if _repeats_a_pattern(key):
        raise ImproperlyConfigured(FERNET_NOT_RANDOM.format(name=name, why="a pattern repeated"))
    if len(set(key)) < MIN_DISTINCT_BYTES:
        why = f"only {len(set(key))} distinct bytes of 32"
        raise ImproperlyConfigured(FERNET_NOT_RANDOM.format(name=name, why=why))
