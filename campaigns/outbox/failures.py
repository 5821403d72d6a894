"""Why a message failed or bounced, in plain words.

The log keeps the raw reason as Gmail, the sender, n8n or a bounce notice gave it
("HTTP 400 invalidArgument: Invalid To header"), for the superuser; everywhere staff read
failures they read it through `in_words` ("Gmail refused the address (invalid To header)").
A reason that none of the rules knows is shown as it was written: our own reasons are
sentences already.
"""

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.audiences import audience
from campaigns.models import stop_reason_read

# The Gmail API's answer, as campaigns.accounts.gmail (and the n8n workflow) record it.
_GMAIL = re.compile(
    r"^(?:gave up after \d+ attempts: )?"
    r"HTTP (?P<status>\d{3}) ?(?P<reason>\w*)(?:: ?(?P<text>.*))?$",
    re.DOTALL,
)
_HEADER = re.compile(r"invalid (?P<header>[\w-]+) header", re.IGNORECASE)
_ADDRESS_HEADERS = {"to", "cc", "bcc"}
# Reasons that wrap another one: the inner reason is put in words too, the whole in the
# reader's language.
_WRAPPED = [
    (
        re.compile(r"^step (?P<number>\d+) could not be sent: (?P<inner>.+)$", re.DOTALL),
        _("step {number} could not be sent: {inner}"),
    ),
    (
        re.compile(
            r"^Paused after (?P<number>\d+) failures in a row; the last one: (?P<inner>.+)$"
        ),
        _("Paused after {number} failures in a row; the last one: {inner}"),
    ),
]

ADDRESS_REFUSED = _("Gmail refused the address ({detail})")
MESSAGE_REFUSED = _("Gmail refused the message ({detail})")
ACCOUNT_REFUSED = _("Gmail refused to send from this account ({detail})")
NOT_SET_UP = _("Gmail refused to send from this account: its mailbox is not set up for sending")
LIMIT_REACHED = _("The account reached Gmail's sending limit")
AUTHORIZATION = _("Gmail no longer accepts the account's connection: reconnect the account")
GMAIL_BUSY = _("Gmail kept asking to slow down and still refused after several tries")
GMAIL_DOWN = _("Gmail had a problem on its side and still failed after several tries")
UNREACHABLE = _("Gmail could not be reached (network problem): nothing was sent")
NO_ANSWER = _(
    "Gmail did not answer in time: the message may or may not have gone out, so it is "
    "not sent again"
)
N8N_NO_REASON = _("n8n reported a failure without saying why")
NO_SUCH_ADDRESS = _("The address does not exist (the receiving mail server bounced it)")
MAILBOX_FULL = _("The recipient's mailbox is full")
BLOCKED = _("The receiving mail server refused the message (spam filter or policy)")
INVALID_HEADER = _("invalid {header} header")
ERROR_STATUS = _("error {status}")
BOUNCED = _("The message bounced: the receiving mail server could not deliver it")

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
    for wrapper, words in _WRAPPED:
        match = wrapper.match(raw)
        if match:
            return words.format(number=match["number"], inner=in_words(match["inner"]))
    match = _GMAIL.match(raw)
    if match:
        return _gmail(int(match["status"]), match["reason"], (match["text"] or "").strip())
    if "could not connect to Gmail" in raw:
        return str(UNREACHABLE)
    if raw.startswith("no answer from Gmail"):
        return str(NO_ANSWER)
    if raw == "failed in n8n":
        return str(N8N_NO_REASON)
    if _BOUNCE.search(raw):
        return str(next(words for pattern, words in _BOUNCES if pattern.search(raw)))
    for template in (audience.SKIPPED_NO_CONSENT, audience.SKIPPED_CONSENT_EXPIRED):
        before, after = template.split("{regime}")
        if raw.startswith(before) and raw.endswith(after) and len(raw) > len(before + after):
            regime = raw[len(before) : len(raw) - len(after)]
            return gettext(template).format(regime=regime)
    # Our own reasons, kept in English where they are stored: in the reader's language
    # when the catalogue has them (why a lead stopped, why a campaign paused, why skipped).
    return stop_reason_read(raw)


def _gmail(status: int, reason: str, text: str) -> str:
    detail = _lower_first(text.rstrip(".")) or reason or ERROR_STATUS.format(status=status)
    header = _HEADER.search(text)
    if status == 400 and header:
        name = header["header"]
        template = ADDRESS_REFUSED if name.lower() in _ADDRESS_HEADERS else MESSAGE_REFUSED
        return template.format(detail=INVALID_HEADER.format(header=name))
    if status == 400 and reason == "failedPrecondition":
        return str(NOT_SET_UP)
    if status == 400:
        return MESSAGE_REFUSED.format(detail=detail)
    if status == 401:
        return str(AUTHORIZATION)
    if status == 403 and ("limit" in reason.lower() or "quota" in reason.lower()):
        return str(LIMIT_REACHED)
    if status == 403:
        return ACCOUNT_REFUSED.format(detail=detail)
    if status == 429:
        return str(GMAIL_BUSY)
    if status >= 500:
        return str(GMAIL_DOWN)
    return MESSAGE_REFUSED.format(detail=detail)


def _lower_first(text: str) -> str:
    """ "Invalid To header" reads "invalid To header" inside a sentence (acronyms stay)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]
