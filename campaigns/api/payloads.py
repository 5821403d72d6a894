"""The JSON bodies of the API n8n calls, checked before anything is read or written.

A wrong type, a value out of range, an impossible date or an unknown field is a
PayloadError naming the field (`messages[3].sent_at`), which the API answers with a 400.
Every value that passes can be stored as it is, on SQLite and PostgreSQL alike.
"""

import datetime
import json
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

MAX_BATCH = 500
MAX_ERRORS = 100
MAX_COUNT = 10**9
TEXT_LENGTH = 2000
# What n8n says became of a message at Gmail: sent; failed, with Gmail's answer
# (`gmail_status`, `gmail_reason`); no answer after the request left (it may have gone);
# not sent at all (Gmail never reached, no token). Django decides what follows.
REPORTABLE = ("sent", "failed", "no_answer", "not_sent")
STAT_COUNTS = ("total_leads", "sent", "failed")
CALLBACK_STATUSES = ("processing", "completed", "failed")
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
# Gmail's ids are short hex strings; printable ASCII leaves room and keeps out what a
# database column cannot hold (NUL, lone surrogates).
PROVIDER_ID = re.compile(r"[\x21-\x7e]{0,255}")
# The forms the OpenAPI description promises (`format: uuid`, `format: date-time`), no
# looser: uuid.UUID and Django's parse_datetime accept more than RFC 4122 and RFC 3339.
UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class PayloadError(Exception):
    """The body is not what the endpoint takes; the message names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def parse(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; an empty body is an empty object."""
    if not body:
        return {}
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        # The C decoder counts its depth against the recursion limit and stops cleanly.
        raise PayloadError("body", "nested too deeply") from None
    except ValueError:
        raise PayloadError("body", "not valid JSON") from None
    if not isinstance(data, dict):
        raise PayloadError("body", "must be a JSON object")
    return data


class Fields:
    """One JSON object's fields, each named `<where><field>` in errors; an unknown field
    is refused rather than ignored, so a misspelt one cannot pass unseen."""

    def __init__(self, data: Any, allowed: set[str], where: str = "") -> None:
        self.where = where
        if not isinstance(data, dict):
            raise PayloadError(where.rstrip(".") or "body", "must be an object")
        for key in data:
            if key not in allowed:
                raise PayloadError(self.name(key[:64] or '""'), "unknown field")
        self.data = data

    def name(self, field: str) -> str:
        return f"{self.where}{field}"

    def get(self, field: str, *, required: bool = False) -> Any:
        value = self.data.get(field)
        if value is None and required:
            raise PayloadError(self.name(field), "is required")
        return value

    def uuid_value(self, field: str) -> uuid.UUID:
        value = self.get(field, required=True)
        if not isinstance(value, str) or not UUID.fullmatch(value):
            raise PayloadError(self.name(field), "must be a UUID string")
        return uuid.UUID(value)

    def optional_uuid(self, field: str) -> uuid.UUID | None:
        return None if self.get(field) is None else self.uuid_value(field)

    def choice(self, field: str, choices: tuple[str, ...]) -> str:
        value = self.get(field, required=True)
        if not isinstance(value, str) or value not in choices:
            raise PayloadError(self.name(field), f"must be one of {', '.join(choices)}")
        return value

    def provider_id(self, field: str) -> str:
        value = self.get(field)
        if value is None:
            return ""
        if not isinstance(value, str) or not PROVIDER_ID.fullmatch(value):
            raise PayloadError(self.name(field), "must be a string of 0 to 255 ASCII characters")
        return value

    def text(self, field: str, *, required: bool = False) -> str:
        """Free text (an error message): any length, cut to TEXT_LENGTH when stored."""
        value = self.get(field, required=required)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise PayloadError(self.name(field), "must be a string")
        if "\x00" in value or not _encodable(value):
            raise PayloadError(self.name(field), "holds a NUL or an unpaired surrogate")
        return value[:TEXT_LENGTH]

    def integer(self, field: str, *, low: int, high: int, default: int | None = None) -> Any:
        value = self.get(field)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise PayloadError(self.name(field), f"must be a whole number from {low} to {high}")
        return value

    def number(self, field: str, *, low: float, high: float) -> Any:
        value = self.get(field)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise PayloadError(self.name(field), f"must be a number from {low:g} to {high:g}")
        return value

    def moment(self, field: str, latest: datetime.datetime) -> datetime.datetime | None:
        """An RFC 3339 date-time with its offset, a real calendar date, not after `latest`
        (a day from now, read once per body: a batch of 500 reads the clock once)."""
        value = self.get(field)
        if value is None:
            return None
        problem = "must be an RFC 3339 date-time with its offset"
        if not isinstance(value, str) or not RFC3339.fullmatch(value):
            raise PayloadError(self.name(field), problem)
        try:
            parsed = datetime.datetime.fromisoformat(value.upper())
        except ValueError:  # 30 February, hour 25, second 60
            raise PayloadError(self.name(field), problem) from None
        if not EARLIEST <= parsed <= latest:
            raise PayloadError(self.name(field), "must be after 2000 and not in the future")
        return parsed


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def claim_limit(data: dict[str, Any]) -> int:
    return Fields(data, {"limit"}).integer("limit", low=1, high=MAX_BATCH, default=50)


def token_account(data: dict[str, Any]) -> uuid.UUID | None:
    """The token call names the account of the batch it sends (a dispatch sent from each
    lead's agent spans several); none: the dispatch's own."""
    return Fields(data, {"account_id", "refresh"}).optional_uuid("account_id")


def token_refresh(data: dict[str, Any]) -> bool:
    """`refresh`: Gmail refused the token given last (401), so a new one is asked of Google
    even though the one kept has not expired."""
    value = Fields(data, {"account_id", "refresh"}).get("refresh")
    if value is not None and not isinstance(value, bool):
        raise PayloadError("refresh", "must be true or false")
    return bool(value)


def nothing(data: dict[str, Any]) -> None:
    """The endpoints that take no parameters take an empty object."""
    Fields(data, set())


@dataclass(frozen=True)
class Report:
    """One message's result. It names the message by `message_log_id`, or, as the spec's
    payload does, by `campaign_id` and `lead_id` (and `campaign_step_id`, for a sequence):
    the API then finds the message of that campaign and lead being sent."""

    message_log_id: uuid.UUID | None
    campaign_id: uuid.UUID
    lead_id: uuid.UUID | None
    status: str
    provider_message_id: str
    thread_id: str
    sent_at: datetime.datetime | None
    error: str
    # Gmail's answer to a failed send: its HTTP status and the reason it gave.
    gmail_status: int | None = None
    gmail_reason: str = ""
    campaign_step_id: uuid.UUID | None = None


REPORT_FIELDS = set(Report.__dataclass_fields__)
NAME_THE_MESSAGE = "is required without message_log_id (the message of this campaign and lead)"


def _report(item: Any, where: str, latest: datetime.datetime) -> Report:
    fields = Fields(item, REPORT_FIELDS, where)
    report = Report(
        message_log_id=fields.optional_uuid("message_log_id"),
        campaign_id=fields.uuid_value("campaign_id"),
        lead_id=fields.optional_uuid("lead_id"),
        campaign_step_id=fields.optional_uuid("campaign_step_id"),
        status=fields.choice("status", REPORTABLE),
        provider_message_id=fields.provider_id("provider_message_id"),
        thread_id=fields.provider_id("thread_id"),
        sent_at=fields.moment("sent_at", latest),
        error=fields.text("error"),
        gmail_status=fields.integer("gmail_status", low=100, high=599),
        gmail_reason=fields.provider_id("gmail_reason"),
    )
    # Every field checked first, so a 400 names the field at fault, then what they lack.
    if report.message_log_id is None and report.lead_id is None:
        raise PayloadError(fields.name("lead_id"), NAME_THE_MESSAGE)
    return report


def reports(data: dict[str, Any]) -> list[Report]:
    """The spec's log-message payload, or {"messages": [...]} with 1 to MAX_BATCH of them."""
    latest = timezone.now() + datetime.timedelta(days=1)  # "not in the future", with a margin
    if "messages" not in data:
        return [_report(data, "", latest)]
    items = Fields(data, {"messages"}).get("messages", required=True)
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise PayloadError("messages", f"must be a list of 1 to {MAX_BATCH} reports")
    batch = [_report(item, f"messages[{n}].", latest) for n, item in enumerate(items)]
    check_reported_once(batch)
    return batch


def check_reported_once(batch: list[Report]) -> None:
    """Each message at most once in a batch (run again once the spec's reports, which name
    no message, have been matched to theirs)."""
    seen: set[uuid.UUID] = set()
    for n, report in enumerate(batch):
        if report.message_log_id is None:
            continue
        if report.message_log_id in seen:
            raise PayloadError(f"messages[{n}].message_log_id", "reported twice in one batch")
        seen.add(report.message_log_id)


@dataclass(frozen=True)
class StatusReport:
    campaign_id: uuid.UUID
    dispatch_id: uuid.UUID | None
    status: str
    stats: dict[str, Any]
    errors: list[dict[str, Any]]


def status_report(data: dict[str, Any]) -> StatusReport:
    """The spec's status callback: status, stats and up to MAX_ERRORS errors."""
    fields = Fields(data, {"campaign_id", "dispatch_id", "status", "stats", "errors"})
    given = fields.get("stats")
    stats = Fields({} if given is None else given, {*STAT_COUNTS, "delivery_rate"}, "stats.")
    counts = {name: stats.integer(name, low=0, high=MAX_COUNT) for name in STAT_COUNTS} | {
        "delivery_rate": stats.number("delivery_rate", low=0, high=100)
    }
    errors = fields.get("errors")
    errors = [] if errors is None else errors
    if not isinstance(errors, list) or len(errors) > MAX_ERRORS:
        raise PayloadError("errors", f"must be a list of at most {MAX_ERRORS} errors")
    checked = []
    for n, item in enumerate(errors):
        error = Fields(item, {"lead_id", "error"}, f"errors[{n}].")
        lead_id = error.optional_uuid("lead_id")
        checked.append({"lead_id": str(lead_id) if lead_id else None, "error": error.text("error")})
    return StatusReport(
        campaign_id=fields.uuid_value("campaign_id"),
        dispatch_id=fields.optional_uuid("dispatch_id"),
        status=fields.choice("status", CALLBACK_STATUSES),
        stats={name: value for name, value in counts.items() if value is not None},
        errors=checked,
    )
