"""Rate limits of the pages anyone can reach without signing in: the open pixel, the click
redirect and the unsubscribe page (django-ratelimit), counted per client address in a cache
the web processes share (a table in the database: crm/site/shared_cache.py)."""

from settings.env import env_int, env_str

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Made by `migrate` (crm/migrations/0008_rate_limit_cache_table.py: createcachetable).
    "rate_limits": {
        "BACKEND": "crm.site.shared_cache.AtomicDatabaseCache",
        "LOCATION": "rate_limit_cache",
    },
}
RATELIMIT_USE_CACHE = "rate_limits"
# The client behind TRUSTED_PROXY_COUNT proxies, as the login lockout counts it.
RATELIMIT_IP_META_KEY = "crm.site.login.client_address"
# Hits a client address may make in a minute (or "N/h"...); past them: 429.
TRACKING_RATE = env_str("TRACKING_RATE", "120/m")
UNSUBSCRIBE_RATE = env_str("UNSUBSCRIBE_RATE", "60/m")
# A recipient's clicks on one link of one message count once in this many seconds.
TRACKING_CLICK_WINDOW_SECONDS = env_int("TRACKING_CLICK_WINDOW_SECONDS", 3600)
