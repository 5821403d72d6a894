#!/usr/bin/env python
"""Django's command-line utility for the campaign system."""

import os
import sys

# Said instead of a traceback when the settings refuse to load with DJANGO_DEBUG unset
# (unset means production, which must be given its secrets).
DEVELOPMENT_HINT = "to run this checkout in development, first: export DJANGO_DEBUG=1"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.base")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loading the settings is the point)
    except ImproperlyConfigured as error:
        hint = "" if "DJANGO_DEBUG" in os.environ else f" ({DEVELOPMENT_HINT})"
        sys.exit(f"manage.py: {error}{hint}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
