"""The base settings with the test-only Linger middleware (tests/faults/linger.py)."""

from settings.base import *  # noqa: F403

MIDDLEWARE = [*MIDDLEWARE, "tests.faults.linger.Linger"]  # noqa: F405
