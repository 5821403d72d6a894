"""Replies and bounces, read from Gmail for the accounts that opted in (gmail.metadata).

What is read: only headers (threads.get with format=metadata and named headers, never a
body) of the threads of messages the account sent in the last GMAIL_REPLIES_LOOKBACK_DAYS
that are still sent, opened or clicked. In such a thread, a message that is not ours is
- a delivery-failure notice (X-Failed-Recipients, or a failure subject from mailer-daemon,
  postmaster or a multipart/report; delay warnings are not failures): the message bounced,
  and bounces.record_bounce keeps the reason (subject and snippet) and, by its kind,
  suppresses the address (hard), sends the message again later (soft), or neither (policy);
- from the lead's address and an automatic answer (an out-of-office notice: Auto-Submitted,
  X-Autoreply, X-Autorespond, Precedence: auto_reply, or its subject): the lead's sequences
  are held, not stopped (auto_replies.py);
- from the lead's address and not automatic (nor Precedence: bulk or junk): the lead
  replied, and tracking.record_reply stops the lead's sequences; when its subject or the
  first sentence of Gmail's snippet asks to unsubscribe (opt_out_words.py), the lead is
  unsubscribed too, counted against the message answered.
Anything else (a colleague in copy) changes nothing.

Unsubscribe emails: where reply detection is on, our List-Unsubscribe header also offers
mailto:<the sender>?subject=unsubscribe, which a mail app answers with a new conversation,
not a reply in our thread. So the history's new conversations in the inbox (a message
that starts its own thread) have their From and Subject read too; one from a lead of the
agency that asks to unsubscribe unsubscribes them. Nothing is kept of the others.

Which threads: the first check, and any check after Gmail forgets our history id (404),
reads the latest GMAIL_REPLIES_BATCH watched threads and keeps the mailbox's history id taken
before reading; later checks ask users.history.list what was added since and read only the
watched threads that changed. A run reads at most one batch of threads per account and
moves the history id only past what it read, so a busy mailbox catches up over a few runs.

Why threads and nothing else: Gmail files its own delivery-failure notices, and replies from
mail clients, in the thread of the message they answer. A notice that a remote server sends
later without threading it is not seen: finding it would mean reading the headers of
unrelated mail (and search, q=, is refused with the metadata permission).

Failures: a 429, a 5xx or no answer stops the account's run without moving the history id
(the next run reads the same again; marking twice changes nothing); a revoked grant marks
the account for reconnection (gmail.py); a 403 for a missing permission turns detection off
for the account, with a message for staff, until it is reconnected.
"""

import datetime
import html
import re
from collections import defaultdict
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from campaigns.accounts import gmail
from campaigns.accounts.oauth import METADATA_NOT_GRANTED
from campaigns.events import auto_replies, bounces, opt_out_words, tracking, unsubscribes
from campaigns.models import EmailAccount, MessageLog
from crm.models import Lead

Status = MessageLog.Status
WATCHED = [Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED]
HEADERS = [
    "From",
    "Subject",
    "X-Failed-Recipients",
    "Content-Type",
    "Auto-Submitted",
    "Precedence",
    "X-Autoreply",
    "X-Autorespond",
]
OUR_LABELS = {"SENT", "DRAFT"}
HISTORY_PAGE = 100
HISTORY_PAGES = 20
# Our send time is taken after Gmail answers; the reply's time is Gmail's.
CLOCK_SKEW = datetime.timedelta(minutes=2)
DAEMONS = {"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"}
FAILURE = re.compile(
    r"failure|undeliver|not delivered|could not be delivered|delivery failed|returned mail|"
    r"returned to sender",
    re.IGNORECASE,
)
DELAY = re.compile(r"\bdelay|warning", re.IGNORECASE)
DELIVERY_REPORT = re.compile(r'report-type\s*=\s*"?delivery-status', re.IGNORECASE)
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list"}
REASON_LENGTH = 300
RECONNECT = "The account must be connected again."
UNAVAILABLE = "Gmail did not answer ({error}); the next check tries again."


@dataclass
class Checked:
    """What one check of one account found, and why it stopped early if it did."""

    account: EmailAccount
    threads: int = 0
    replied: int = 0
    bounced: int = 0
    held: int = 0
    unsubscribed: int = 0
    problem: str = ""

    def __str__(self) -> str:
        threads = ngettext("%(n)s thread read", "%(n)s threads read", self.threads)
        found = f"{threads % {'n': self.threads}}, {self.replied} replied, {self.bounced} bounced"
        if self.held:
            held = ngettext("%(n)s auto-reply held", "%(n)s auto-replies held", self.held)
            found += f", {held % {'n': self.held}}"
        if self.unsubscribed:
            found += f", {self.unsubscribed} unsubscribed by email"
        return f"{self.account.email_address}: {found}." + (
            f" {self.problem}" if self.problem else ""
        )


def accounts_to_check() -> QuerySet[EmailAccount]:
    return EmailAccount.objects.filter(
        detect_replies=True, is_active=True, provider=EmailAccount.Provider.GMAIL
    ).order_by("pk")


def check_replies(accounts: Any = None, now: datetime.datetime | None = None) -> list[Checked]:
    """Check every opted-in account (or the given ones), one after the other."""
    accounts = accounts_to_check() if accounts is None else accounts
    return [check_account(account, now) for account in accounts]


def watched(account: EmailAccount, now: datetime.datetime) -> QuerySet[MessageLog]:
    """The account's recent messages whose replies and bounces are still to be seen."""
    since = now - datetime.timedelta(days=settings.GMAIL_REPLIES_LOOKBACK_DAYS)
    return MessageLog.objects.filter(
        organization_id=account.organization_id,
        email_account=account,
        is_test=False,
        status__in=WATCHED,
        sent_at__gte=since,
    ).exclude(thread_id="")


def check_account(account: EmailAccount, now: datetime.datetime | None = None) -> Checked:
    """Read the account's changed threads and record what they show."""
    now = now or timezone.now()
    result = Checked(account)
    if account.needs_reconnect:
        result.problem = account.last_error or RECONNECT
        return result
    if not account.may_read_headers:
        result.problem = account.replies_error or METADATA_NOT_GRANTED
        return result
    try:
        thread_ids, conversations, resume_at = _threads_to_read(account, now)
        logs = defaultdict(list)
        for log in MessageLog.objects.filter(
            organization_id=account.organization_id,
            email_account=account,
            is_test=False,
            sent_at__isnull=False,
            thread_id__in=thread_ids,
        ).select_related("lead", "organization"):
            logs[log.thread_id].append(log)
        for thread_id in thread_ids:
            _read_thread(account, thread_id, logs[thread_id], result)
        for message_id in conversations:
            _read_conversation(account, message_id, result)
    except gmail.ScopeMissing:
        result.problem = METADATA_NOT_GRANTED
        kept = [s for s in account.granted_scopes.split() if s != settings.GMAIL_METADATA_SCOPE]
        _update(account, granted_scopes=" ".join(kept), replies_error=result.problem)
    except gmail.TokenRevoked:
        result.problem = account.last_error or RECONNECT
    except gmail.GmailError as error:
        result.problem = UNAVAILABLE.format(error=error)
        _update(account, replies_error=result.problem)
    else:
        _update(account, replies_history_id=resume_at, replies_checked_at=now, replies_error="")
    return result


def _update(account: EmailAccount, **fields: Any) -> None:
    EmailAccount.objects.filter(pk=account.pk).update(**fields, updated_at=timezone.now())
    for name, value in fields.items():
        setattr(account, name, value)


def _threads_to_read(
    account: EmailAccount, now: datetime.datetime
) -> tuple[list[str], list[str], str]:
    """The watched threads to read in this run, the new conversations (their first
    message's id), and the history id the next run starts at."""
    logs = watched(account, now)
    if account.replies_history_id:
        try:
            return _changed_threads(account, logs)
        except gmail.NotFound:
            pass  # Gmail no longer keeps history that old: read the latest threads again
    # Taken before reading, so that nothing added meanwhile is missed next time.
    start = str(gmail.read(account, "profile")["historyId"])
    latest = (
        logs.values("thread_id")
        .annotate(last_sent=Max("sent_at"))
        .order_by("-last_sent")[: settings.GMAIL_REPLIES_BATCH]
    )
    return [row["thread_id"] for row in latest], [], start


def _changed_threads(
    account: EmailAccount, logs: QuerySet[MessageLog]
) -> tuple[list[str], list[str], str]:
    """Watched threads that received messages since the account's history id (not ours),
    and the new conversations that arrived in the inbox meanwhile."""
    chosen: list[str] = []
    conversations: list[str] = []
    resume = account.replies_history_id
    query = [
        ("startHistoryId", resume),
        ("historyTypes", "messageAdded"),
        ("maxResults", str(HISTORY_PAGE)),
    ]
    for _ in range(HISTORY_PAGES):
        page = gmail.read(account, "history", query)
        records = [
            (str(record["id"]), _added_threads(record)) for record in page.get("history", [])
        ]
        seen = {thread for _, threads in records for thread in threads}
        mine = set(logs.filter(thread_id__in=seen).values_list("thread_id", flat=True))
        started = {
            str(record["id"]): _new_conversations(record) for record in page.get("history", [])
        }
        for record_id, threads in records:
            new = [thread for thread in dict.fromkeys(threads) if thread in mine]
            new = [thread for thread in new if thread not in chosen]
            read = len(chosen) + len(conversations)
            if read and read + len(new) + len(started[record_id]) > settings.GMAIL_REPLIES_BATCH:
                return chosen, conversations, resume  # the rest waits for the next run
            chosen.extend(new)
            conversations.extend(started[record_id])
            resume = record_id
        if not page.get("nextPageToken"):
            return chosen, conversations, str(page.get("historyId") or resume)
        query = [*query[:3], ("pageToken", page["nextPageToken"])]
    return chosen, conversations, resume


def _new_conversations(record: dict) -> list[str]:
    """Messages that arrived in the inbox starting a thread of their own (Gmail gives the
    first message of a thread the thread's id): where an unsubscribe email lands."""
    return [
        added["message"]["id"]
        for added in record.get("messagesAdded", [])
        if added["message"].get("id") == added["message"].get("threadId")
        and "INBOX" in added["message"].get("labelIds", [])
        and not OUR_LABELS & set(added["message"].get("labelIds", []))
    ]


def _added_threads(record: dict) -> list[str]:
    return [
        added["message"]["threadId"]
        for added in record.get("messagesAdded", [])
        if not OUR_LABELS & set(added["message"].get("labelIds", []))
    ]


def _read_thread(
    account: EmailAccount, thread_id: str, logs: list[MessageLog], result: Checked
) -> None:
    query = [("format", "metadata"), *(("metadataHeaders", name) for name in HEADERS)]
    try:
        thread = gmail.read(account, f"threads/{thread_id}", query)
    except gmail.NotFound:
        return  # deleted in Gmail: nothing to learn from it
    result.threads += 1
    ours = {log.provider_message_id: log for log in logs if log.provider_message_id}
    current = None  # our latest message so far: what the next message answers
    for message in thread.get("messages", []):
        if message.get("id") in ours:
            current = ours[message["id"]]
            continue
        headers = {
            header["name"].lower(): header["value"]
            for header in message.get("payload", {}).get("headers", [])
        }
        sender = parseaddr(headers.get("from", ""))[1].lower()
        if OUR_LABELS & set(message.get("labelIds", [])) or sender == account.email_address.lower():
            continue
        at = _received_at(message)
        if _is_failure_notice(headers, sender):
            log = _bounced(logs, current, headers, at)
            if (
                log
                and log.status in WATCHED
                and bounces.record_bounce(log, _reason(headers, message))
            ):
                result.bounced += 1
        elif auto_replies.is_auto_reply(headers):
            log = _from_lead(sender, current or _latest_before(logs, at))
            if log and auto_replies.auto_reply_record(
                message=log,
                provider_message_id=str(message.get("id", "")),
                subject=headers.get("subject", ""),
                received_at=at,
            ):
                result.held += 1
        elif not _is_automatic(headers):
            log = _from_lead(sender, current or _latest_before(logs, at))
            if log and tracking.record_reply(log, at):
                result.replied += 1
            if log:
                _unsubscribe_if_asked(log.lead, headers, message, result, log)


def _unsubscribe_if_asked(
    lead: Lead, headers: dict, message: dict, result: Checked, log: MessageLog | None = None
) -> None:
    subject = headers.get("subject", "")
    snippet = html.unescape(message.get("snippet", ""))
    if not opt_out_words.asks_to_unsubscribe(subject, snippet):
        return
    words = opt_out_words.request_words(subject, snippet)
    how = unsubscribes.BY_REPLY.format(words=words)
    if unsubscribes.unsubscribe(lead, how=how, message=log):
        result.unsubscribed += 1


def _read_conversation(account: EmailAccount, message_id: str, result: Checked) -> None:
    """A new conversation in the inbox: from a lead of the agency asking to unsubscribe (the
    List-Unsubscribe mailto:, or a fresh email), it unsubscribes them; anything else is left
    alone and nothing of it is kept."""
    query = [("format", "metadata"), *(("metadataHeaders", name) for name in HEADERS)]
    try:
        message = gmail.read(account, f"messages/{message_id}", query)
    except gmail.NotFound:
        return
    headers = {
        header["name"].lower(): header["value"]
        for header in message.get("payload", {}).get("headers", [])
    }
    if _is_automatic(headers) or auto_replies.is_auto_reply(headers):
        return
    sender = parseaddr(headers.get("from", ""))[1].lower()
    if not sender or sender == account.email_address.lower():
        return
    lead = (
        Lead.objects.filter(organization=account.organization_id, email__iexact=sender)
        .select_related("organization")
        .first()
    )
    if lead is None:
        return
    latest = (
        MessageLog.objects.filter(lead=lead, email_account=account, is_test=False)
        .exclude(sent_at=None)
        .order_by("-sent_at")
        .first()
    )
    _unsubscribe_if_asked(lead, headers, message, result, latest)


def _from_lead(sender: str, log: MessageLog | None) -> MessageLog | None:
    """The message answered, when the answer comes from its lead and is still watched."""
    if log is None or log.status not in WATCHED:
        return None
    return log if sender in {log.to_email.lower(), log.lead.email.lower()} else None


def _received_at(message: dict) -> datetime.datetime:
    millis = str(message.get("internalDate", ""))
    if not millis.isdigit():
        return timezone.now()
    return datetime.datetime.fromtimestamp(int(millis) / 1000, tz=datetime.UTC)


def _latest_before(logs: list[MessageLog], at: datetime.datetime) -> MessageLog | None:
    earlier = [log for log in logs if log.sent_at and log.sent_at <= at + CLOCK_SKEW]
    return max(earlier, key=attrgetter("sent_at"), default=None)


def _is_failure_notice(headers: dict[str, str], sender: str) -> bool:
    subject = headers.get("subject", "")
    if DELAY.search(subject):
        return False  # "Delivery Status Notification (Delay)": Gmail is still trying
    if headers.get("x-failed-recipients", "").strip():
        return True
    notice = sender.partition("@")[0] in DAEMONS or DELIVERY_REPORT.search(
        headers.get("content-type", "")
    )
    return bool(notice and FAILURE.search(subject))


def _bounced(
    logs: list[MessageLog], current: MessageLog | None, headers: dict, at: datetime.datetime
) -> MessageLog | None:
    """The message a failure notice is about: the failed recipient's, else our latest."""
    failed = {
        address.lower() for _, address in getaddresses([headers.get("x-failed-recipients", "")])
    }
    failed.discard("")
    if not failed:
        return current or _latest_before(logs, at)
    if current and current.to_email.lower() in failed:
        return current
    return _latest_before([log for log in logs if log.to_email.lower() in failed], at)


def _is_automatic(headers: dict[str, str]) -> bool:
    """Mail sent by a program (a list, bulk mail), which is not a reply either."""
    return headers.get("precedence", "").strip().lower() in AUTOMATIC_PRECEDENCE


def _reason(headers: dict[str, str], message: dict) -> str:
    # Gmail's snippet (when given) starts with the notice's first line: "Address not found…".
    snippet = html.unescape(message.get("snippet", "")).strip()
    parts = [headers.get("subject", "").strip(), snippet]
    return " — ".join(part for part in parts if part)[:REASON_LENGTH] or "Delivery failed"
