"""n8n orchestration: off unless N8N_BASE_URL is set (the direct driver sends instead)."""

from settings.env import env_float, env_int, env_list, env_str

N8N_BASE_URL = env_str("N8N_BASE_URL").rstrip("/")
N8N_DISPATCH_PATH = env_str("N8N_DISPATCH_PATH", "/webhook/campaign-dispatch")
# Shared secret(s) for the HMAC signatures in both directions. During a rotation list
# the new secret first: it signs, and every listed secret verifies.
N8N_WEBHOOK_SECRET = env_list("N8N_WEBHOOK_SECRET")
N8N_SIGNATURE_TOLERANCE_SECONDS = env_int("N8N_SIGNATURE_TOLERANCE_SECONDS", 300)
N8N_NOTIFY_ATTEMPTS = env_int("N8N_NOTIFY_ATTEMPTS", 4)
N8N_NOTIFY_BACKOFF_SECONDS = env_float("N8N_NOTIFY_BACKOFF_SECONDS", 1.0)
N8N_TIMEOUT_SECONDS = env_float("N8N_TIMEOUT_SECONDS", 10.0)
# A running n8n dispatch whose run has made no claim for this long (past any wait Django
# asked for) gets a new run from the watchdog; so does one whose call to n8n failed.
N8N_WATCHDOG_MINUTES = env_float("N8N_WATCHDOG_MINUTES", 5.0)
