"""The project's settings for a benchmark worker that never serves the admin: the admin app
without autodiscovery, so a worker starts in about half the time (every worker is a fresh
process, and a small run starts two dozen of them)."""

from settings.base import *  # noqa: F403
from settings.base import INSTALLED_APPS

INSTALLED_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig" if app == "django.contrib.admin" else app
    for app in INSTALLED_APPS
]
