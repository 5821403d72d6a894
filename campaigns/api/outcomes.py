"""What n8n's report of a message makes of it. The workflow says what Gmail answered; Django
decides, as it does for its own sender:

- `sent`: Gmail accepted it;
- `failed` with Gmail's HTTP status and reason: a permanent refusal fails the message
  (and stops its lead's sequence); a passing one (429, a quota reason, 5xx) puts it back in
  the queue and rests the account, like a 429 for the direct driver;
- `no_answer`: the request went out and no answer came (a timeout): Gmail may have the
  message, so it is `unknown`, never resent; the account rests, as Gmail is struggling;
- `not_sent`: Gmail was never reached (no token, connection refused): back in the queue,
  the account rests (GMAIL_ERROR_REST_SECONDS).
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from campaigns.accounts import gmail
from campaigns.api.payloads import Report
from campaigns.models import MessageLog

Status = MessageLog.Status
DAILY_LIMIT_REST = timedelta(hours=24)
GMAIL_ERROR_REST = "Gmail answered {error}: sending from this account waits"
NO_ANSWER_REST = "Gmail did not answer: sending from this account waits"
NOT_SENT_REST = "n8n could not send through Gmail ({error}): sending waits"
NO_REASON = "failed in n8n"


def rest_after_error() -> timedelta:
    """How long an account rests after a passing error that named no time (Gmail's 5xx, no
    answer, no token): the claim tells the run when to come back."""
    return timedelta(seconds=settings.GMAIL_ERROR_REST_SECONDS)


@dataclass(frozen=True)
class Outcome:
    """The message's new fields (its status first), and the account's rest, if any."""

    fields: dict[str, Any]
    rest: tuple[timedelta, str] | None = None

    @property
    def status(self) -> str:
        return self.fields["status"]


def outcome_of(report: Report) -> Outcome:
    error = report.error or NO_REASON
    if report.status == Status.SENT:
        return Outcome(
            {
                "status": Status.SENT,
                "sent_at": report.sent_at or timezone.now(),
                "provider_message_id": report.provider_message_id,
                "thread_id": report.thread_id,
            }
        )
    if report.status == "no_answer":
        fields = {"status": Status.UNKNOWN, "error_message": error}
        return Outcome(fields, (rest_after_error(), NO_ANSWER_REST))
    if report.status == "not_sent":
        back = {"status": Status.QUEUED, "claimed_at": None, "error_message": error}
        return Outcome(back, (rest_after_error(), NOT_SENT_REST.format(error=error)[:500]))
    if report.gmail_status is not None and gmail.passing(report.gmail_status, report.gmail_reason):
        back = {"status": Status.QUEUED, "claimed_at": None, "error_message": error}
        daily = report.gmail_reason == "dailyLimitExceeded"
        pause = DAILY_LIMIT_REST if daily else rest_after_error()
        return Outcome(back, (pause, GMAIL_ERROR_REST.format(error=error)[:500]))
    return Outcome({"status": Status.FAILED, "error_message": error})
