"""Automatic answers (out of office, vacation notices): the lead's sequences wait, not stop.

An answer is automatic when its headers say so (RFC 3834's Auto-Submitted with any value but
"no", X-Autoreply, X-Autorespond, Precedence: auto_reply) or its subject starts the way
out-of-office notices do in English, French and Spanish. The lead's next steps are then held for the
campaign's number of days, or until the return date the subject gives (return_dates.py),
never more than MAX_HOLD_DAYS; a real reply still stops the sequence (replies.py).
"""

import datetime
import re
import uuid
import zoneinfo

from django.db import IntegrityError, transaction

from campaigns.events.return_dates import return_date
from campaigns.models import AutoReply, Enrollment, MessageLog
from campaigns.sequences import schedule

MAX_HOLD_DAYS = 60
AUTO_REPLY_PRECEDENCE = "auto_reply"
# At the start of the subject only: "Re: out of office?" from a person is a reply.
OUT_OF_OFFICE = re.compile(
    r"^\s*(?:(?:out\s+of\s+(?:the\s+)?office|automatic\s+reply|auto[\s-]?reply|"
    r"auto[\s-]?response|autoresponder|absent|absence|away\s+from\s+(?:the\s+)?office|"
    r"r[ée]ponse\s+automatique|message\s+automatique|en\s+cong[ée]s?|"
    r"respuesta\s+autom[áa]tica|mensaje\s+autom[áa]tico|fuera\s+de\s+(?:la\s+)?oficina|"
    r"ausente|ausencia|de\s+vacaciones)\b|auto\s*:)",
    re.IGNORECASE,
)


def is_auto_reply(headers: dict[str, str]) -> bool:
    """An automatic answer to a message, from headers named in lower case."""
    auto_submitted = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    return bool(
        auto_submitted not in ("", "no")
        or headers.get("x-autoreply", "").strip()
        or headers.get("x-autorespond", "").strip()
        or headers.get("precedence", "").strip().lower() == AUTO_REPLY_PRECEDENCE
        or OUT_OF_OFFICE.search(headers.get("subject", ""))
    )


def auto_reply_record(
    *, message: MessageLog, provider_message_id: str, subject: str, received_at: datetime.datetime
) -> AutoReply | None:
    """Record the automatic answer to `message` and hold the lead's sequences; None when
    this answer was recorded already (a thread read twice holds nothing twice)."""
    zone = message.organization.zone
    back = return_date(subject, received_at.astimezone(zone).date())
    try:
        with transaction.atomic():
            auto_reply = AutoReply.objects.create(
                organization_id=message.organization_id,
                lead_id=message.lead_id,
                message_log=message,
                provider_message_id=provider_message_id,
                subject=subject[:998],
                received_at=received_at,
                return_date=back,
            )
    except IntegrityError:
        return None
    held = _hold(message.lead_id, received_at, back, zone)
    if held is not None:
        auto_reply.held_until = held
        auto_reply.save(update_fields=["held_until"])
    return auto_reply


def _hold(
    lead_id: uuid.UUID,
    received_at: datetime.datetime,
    back: datetime.date | None,
    zone: zoneinfo.ZoneInfo,
) -> datetime.datetime | None:
    """Move each waiting step of the lead to the end of the hold (never earlier than it
    was due); the latest new due time, or None when no step was waiting."""
    latest = None
    # Days are counted on the agency's calendar (wall-clock), across a DST change too.
    received_at = received_at.astimezone(zone)
    waiting = Enrollment.objects.filter(
        lead_id=lead_id, state=Enrollment.State.ACTIVE, next_due_at__isnull=False
    ).select_related("campaign__organization")
    for enrollment in waiting:
        campaign = enrollment.campaign
        days = min(campaign.auto_reply_hold_days, MAX_HOLD_DAYS)
        until = received_at + datetime.timedelta(days=days)
        if back is not None:
            until = datetime.datetime.combine(back, datetime.time.min, tzinfo=zone)
        until = min(until, received_at + datetime.timedelta(days=MAX_HOLD_DAYS))
        due = schedule.hold(enrollment, until)
        if due is not None:
            latest = max(latest or due, due)
    return latest


def auto_reply_summary(auto_reply: AutoReply) -> str:
    """What the timeline says about an automatic answer, in the agency's time zone."""
    zone = auto_reply.organization.zone
    received = auto_reply.received_at.astimezone(zone)
    said = f"Auto-reply received on {received:%a %-d %b %Y, %H:%M}"
    back = auto_reply.return_date
    if back:
        said += f" (back on {back:%a %-d %b %Y}, says its subject)"
    if auto_reply.held_until is None:
        return f"{said}: no sequence step was waiting, nothing held."
    held = auto_reply.held_until.astimezone(zone)
    capped = f", {MAX_HOLD_DAYS} days at most" if back and back > held.date() else ""
    return f"{said}: next step held until {held:%a %-d %b %Y, %H:%M} ({zone.key}{capped})."
