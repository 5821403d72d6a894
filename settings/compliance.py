"""The mail rules of the real world (docs/compliance.md): the DNS resolver the domain check
asks, the bounce-rate pause, soft-bounce retries and the bulk-sender threshold."""

from settings.env import env_float, env_int, env_list

# The DNS servers the domain check (campaigns/accounts/domain_check.py) asks, as
# "address" or "address:port"; empty: the machine's own (/etc/resolv.conf).
DNS_RESOLVERS = env_list("DNS_RESOLVERS")
DNS_TIMEOUT_SECONDS = env_float("DNS_TIMEOUT_SECONDS", 3.0)
# An account whose last BOUNCE_RATE_WINDOW messages bounced above this share pauses its
# campaigns (judged once BOUNCE_RATE_MIN_MESSAGES were sent since its last such pause).
BOUNCE_RATE_MAX_PERCENT = env_float("BOUNCE_RATE_MAX_PERCENT", 5.0)
BOUNCE_RATE_WINDOW = env_int("BOUNCE_RATE_WINDOW", 200)
BOUNCE_RATE_MIN_MESSAGES = env_int("BOUNCE_RATE_MIN_MESSAGES", 20)
# A soft bounce (mailbox full, server busy) is sent again this many hours later; the
# address is suppressed at its SOFT_BOUNCE_LIMIT-th soft bounce with no sign of life between.
SOFT_BOUNCE_RETRY_HOURS = env_int("SOFT_BOUNCE_RETRY_HOURS", 24)
SOFT_BOUNCE_LIMIT = env_int("SOFT_BOUNCE_LIMIT", 3)
# Gmail's bulk-sender line: messages to personal Gmail (and Yahoo) addresses from one
# domain in 24 hours (support.google.com/a/answer/14229414).
BULK_SENDER_THRESHOLD = env_int("BULK_SENDER_THRESHOLD", 5_000)
