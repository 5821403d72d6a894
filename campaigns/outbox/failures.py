"""Why a message failed or bounced, in plain words.

The log keeps the raw reason as Gmail, the sender, n8n or a bounce notice gave it
("HTTP 400 invalidArgument: Invalid To header"), for the superuser; everywhere staff read
failures they read it through `in_words` ("Gmail refused the address (invalid To header)").
A reason that none of the rules knows is shown as it was written: our own reasons are
sentences already.
"""

import re

# The Gmail API's answer, as campaigns.accounts.gmail (and the n8n workflow) record it.
_GMAIL = re.compile(
    r"^(?:gave up after \d+ attempts: )?"
    r"HTTP (?P<status>\d{3}) ?(?P<reason>\w*)(?:: ?(?P<text>.*))?$",
    re.DOTALL,
)
_HEADER = re.compile(r"invalid (?P<header>[\w-]+) header", re.IGNORECASE)
_ADDRESS_HEADERS = {"to", "cc", "bcc"}
# Reasons that wrap another one: the inner reason is put in words too.
_WRAPPED = [
    re.compile(r"^(?P<head>step \d+ could not be sent: )(?P<inner>.+)$", re.DOTALL),
    re.compile(r"^(?P<head>Paused after \d+ failures in a row; the last one: )(?P<inner>.+)$"),
]

ADDRESS_REFUSED = "Gmail refused the address ({detail})"
MESSAGE_REFUSED = "Gmail refused the message ({detail})"
ACCOUNT_REFUSED = "Gmail refused to send from this account ({detail})"
NOT_SET_UP = "Gmail refused to send from this account: its mailbox is not set up for sending"
LIMIT_REACHED = "The account reached Gmail's sending limit"
AUTHORIZATION = "Gmail no longer accepts the account's connection: reconnect the account"
GMAIL_BUSY = "Gmail kept asking to slow down and still refused after several tries"
GMAIL_DOWN = "Gmail had a problem on its side and still failed after several tries"
UNREACHABLE = "Gmail could not be reached (network problem): nothing was sent"
NO_ANSWER = (
    "Gmail did not answer in time: the message may or may not have gone out, so it is "
    "not sent again"
)
N8N_NO_REASON = "n8n reported a failure without saying why"
NO_SUCH_ADDRESS = "The address does not exist (the receiving mail server bounced it)"
MAILBOX_FULL = "The recipient's mailbox is full"
BLOCKED = "The receiving mail server refused the message (spam filter or policy)"
BOUNCED = "The message bounced: the receiving mail server could not deliver it"

# A bounce notice (its subject and first words, campaigns.events.replies) or a mail server's
# answer with its code (RFC 5321, RFC 3463); then what it says, most specific first.
_BOUNCE = re.compile(
    r"^[45]\d\d\b|\b[45]\.\d\.\d{1,3}\b|delivery status notification|undeliver|"
    r"mail delivery|returned mail|address not found|wasn't delivered|delivery failed",
    re.IGNORECASE,
)
_BOUNCES = [
    (
        re.compile(
            r"\b5\.1\.[0-3]\b|address not found|does not exist|no such user|"
            r"user unknown|couldn't be found|could not be found",
            re.I,
        ),
        NO_SUCH_ADDRESS,
    ),
    (re.compile(r"\b[45]\.2\.2\b|mailbox (is )?full|over quota", re.I), MAILBOX_FULL),
    (re.compile(r"\b5\.7\.\d\b|blocked|spam|policy|rejected", re.I), BLOCKED),
    (re.compile(r""), BOUNCED),
]


def gmail_answer(raw: str) -> tuple[int, str] | None:
    """The HTTP status and reason of a reason recorded from Gmail's answer ("HTTP 500
    backendError: ..."), or None when it is not one."""
    match = _GMAIL.match((raw or "").strip())
    return (int(match["status"]), match["reason"]) if match else None


# Reasons that say Gmail was never reached, so nothing was sent (ours, and n8n's).
_NEVER_SENT = re.compile(
    r"could not connect to Gmail|Gmail could not be reached|no new access token|"
    r"^not sent: ",
    re.IGNORECASE,
)


def never_sent(raw: str) -> bool:
    """The reason says the request never reached Gmail (no connection, no token)."""
    return bool(_NEVER_SENT.search(raw or ""))


def in_words(raw: str) -> str:
    """The reason as staff read it; empty stays empty."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    for wrapper in _WRAPPED:
        match = wrapper.match(raw)
        if match:
            return match["head"] + in_words(match["inner"])
    match = _GMAIL.match(raw)
    if match:
        return _gmail(int(match["status"]), match["reason"], (match["text"] or "").strip())
    if "could not connect to Gmail" in raw:
        return UNREACHABLE
    if raw.startswith("no answer from Gmail"):
        return NO_ANSWER
    if raw == "failed in n8n":
        return N8N_NO_REASON
    if _BOUNCE.search(raw):
        return next(words for pattern, words in _BOUNCES if pattern.search(raw))
    return raw


def _gmail(status: int, reason: str, text: str) -> str:
    detail = _lower_first(text.rstrip(".")) or reason or f"error {status}"
    header = _HEADER.search(text)
    if status == 400 and header:
        name = header["header"]
        template = ADDRESS_REFUSED if name.lower() in _ADDRESS_HEADERS else MESSAGE_REFUSED
        return template.format(detail=f"invalid {name} header")
    if status == 400 and reason == "failedPrecondition":
        return NOT_SET_UP
    if status == 400:
        return MESSAGE_REFUSED.format(detail=detail)
    if status == 401:
        return AUTHORIZATION
    if status == 403 and ("limit" in reason.lower() or "quota" in reason.lower()):
        return LIMIT_REACHED
    if status == 403:
        return ACCOUNT_REFUSED.format(detail=detail)
    if status == 429:
        return GMAIL_BUSY
    if status >= 500:
        return GMAIL_DOWN
    return MESSAGE_REFUSED.format(detail=detail)


def _lower_first(text: str) -> str:
    """ "Invalid To header" reads "invalid To header" inside a sentence (acronyms stay)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]
