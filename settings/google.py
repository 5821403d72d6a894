"""Google OAuth and Gmail API settings. Every URL is configurable so tests reach stand-ins."""

from settings.env import env_float, env_int, env_str

GOOGLE_CLIENT_ID = env_str("GOOGLE_CLIENT_ID")
GOOGLE_CLIENT_SECRET = env_str("GOOGLE_CLIENT_SECRET")
GOOGLE_AUTH_URI = env_str("GOOGLE_AUTH_URI", "https://accounts.google.com/o/oauth2/v2/auth")
GOOGLE_TOKEN_URI = env_str("GOOGLE_TOKEN_URI", "https://oauth2.googleapis.com/token")
GOOGLE_REVOKE_URI = env_str("GOOGLE_REVOKE_URI", "https://oauth2.googleapis.com/revoke")
GOOGLE_USERINFO_URI = env_str(
    "GOOGLE_USERINFO_URI", "https://openidconnect.googleapis.com/v1/userinfo"
)
GMAIL_API_BASE_URL = env_str("GMAIL_API_BASE_URL", "https://gmail.googleapis.com")
GMAIL_SCOPES = [
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
    "https://www.googleapis.com/auth/gmail.send",
]
# Added to the connect flow for accounts that opt in to reply and bounce detection.
GMAIL_METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"

# Sending: retries for 429/5xx, the HTTP timeout, and Gmail's per-user quota.
GMAIL_MAX_ATTEMPTS = env_int("GMAIL_MAX_ATTEMPTS", 5)
GMAIL_BACKOFF_BASE_SECONDS = env_float("GMAIL_BACKOFF_BASE_SECONDS", 1.0)
GMAIL_BACKOFF_MAX_SECONDS = env_float("GMAIL_BACKOFF_MAX_SECONDS", 60.0)
GMAIL_TIMEOUT_SECONDS = env_float("GMAIL_TIMEOUT_SECONDS", 30.0)
GMAIL_QUOTA_UNITS_PER_MINUTE = env_int("GMAIL_QUOTA_UNITS_PER_MINUTE", 15_000)
GMAIL_SEND_COST_UNITS = 100
# A message claimed this long ago and still `sending` was left by a sender (or an n8n run)
# that died: it becomes `unknown`, never resent.
CLAIM_LEASE_SECONDS = env_int("CLAIM_LEASE_SECONDS", 900)
# A campaign pauses itself after this many failed messages in a row.
CAMPAIGN_MAX_SEND_ERRORS = env_int("CAMPAIGN_MAX_SEND_ERRORS", 10)
# A message whose sending failed for now (Gmail 5xx or unreachable, no token, a full disk)
# is tried again, the account resting 30 s, then twice as long each time (at most 30
# minutes): 12 tries span about three and a half hours, then it fails for good.
SEND_ATTEMPTS = env_int("SEND_ATTEMPTS", 12)
# Claims, sends and every cutoff read the database's clock, never the process's.
OUTBOX_DATABASE_CLOCK = True
# Launching: leads queued per statement; a larger audience is queued in the background
# once the launch page has answered (campaigns/launching/queuing.py).
CAMPAIGN_QUEUE_CHUNK = env_int("CAMPAIGN_QUEUE_CHUNK", 5_000)
# Reply and bounce detection: how far back sent messages are watched, and how many
# threads one run reads per account at most (the rest wait for the next run).
GMAIL_REPLIES_LOOKBACK_DAYS = env_int("GMAIL_REPLIES_LOOKBACK_DAYS", 30)
GMAIL_REPLIES_BATCH = env_int("GMAIL_REPLIES_BATCH", 200)
