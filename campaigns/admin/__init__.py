"""The admin: each page and its ModelAdmin in a module of this package (imported here so that
Django's autodiscovery registers them), the custom pages in pages.py, and the forms and
resources they use."""

from campaigns.admin import accounts, campaigns, inbound_keys, leads, message_log, properties

__all__ = ["accounts", "campaigns", "inbound_keys", "leads", "message_log", "properties"]
