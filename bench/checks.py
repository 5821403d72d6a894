"""What a contender produced, in a form that two workers' results compare: counts, a digest
of every row's compared fields (a short hash per row, keyed by the lead's address: in the
first round of a run, BENCH_FULL_CHECK), and a sample of rows field by field. A peer whose
output differs from ours fails the run; a field present on one side only is a difference.

Each worker has its own database, where lead ids are made afresh: rows are keyed by the
lead's address, and a lead's unsubscribe link (signed over its id) reads as a marker.
"""

import hashlib
import json
import os
from collections import Counter
from typing import Any

from bench.data import email_for

SAMPLES = 25  # rows compared field by field, spread over the data set
UNSUBSCRIBE = "{unsubscribe_url}"


def full_check() -> bool:
    """Whether this worker digests every row (the run's first round) or only counts."""
    return os.environ.get("BENCH_FULL_CHECK", "1") != "0"


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def sample_emails(size: int) -> list[str]:
    step = max(1, size // SAMPLES)
    return [email_for(n) for n in range(0, size, step)]


def leads(organization: Any, size: int) -> dict:
    """The organization's leads: how many, and the sampled ones (None where rejected)."""
    from crm.models import Lead

    rows = Lead.objects.filter(organization=organization)
    fields = ["name", "first_name", "last_name", "email", "phone", "city", "status"]
    fields += ["budget_min", "budget_max", "source", "custom"]
    found = {
        row["email"].lower(): dict(row)
        for row in rows.filter(email__in=sample_emails(size)).values()
    }
    output = {
        "counts": {"leads": rows.count()},
        "sample": {
            email: {name: found[email][name] for name in fields} if email in found else None
            for email in sample_emails(size)
        },
    }
    if full_check():
        output["digests"] = {
            row["email"].lower(): _hash(row)
            for row in rows.values(*fields).order_by().iterator(chunk_size=5000)
        }
    return output


def _message(log: Any) -> dict:
    from campaigns.outbox import unsubscribe_links

    link = unsubscribe_links.url_for(log.lead, campaign=log.campaign_id)

    def plain(text: str) -> str:
        return text.replace(link, UNSUBSCRIBE)

    return {
        "step": log.campaign_step.order,
        "status": log.status,
        "to_email": log.to_email,
        "sender": log.email_account.email_address,
        "subject": plain(log.subject),
        "body_html": plain(log.body_html),
        "body_text": plain(log.body_text),
        "links": [plain(url) for url in log.links],
        "error_message": log.error_message,
        "thread_id": log.thread_id,
        "in_reply_to": bool(log.in_reply_to),
        "message_id_domain": log.message_id.rpartition("@")[2],
        "is_test": log.is_test,
    }


def _rendered(log: Any) -> Any:
    """A queued message as its claim will render it (issue 14: ours, and a peer of the same
    design, queue unrendered rows), in memory: from its frozen step, or from the step itself
    where the row has none (a peer's). A rendered message is left as it is."""
    from campaigns.content import mime
    from campaigns.models import MessageLog
    from campaigns.outbox import sending, tracking_links, unsubscribe_links

    if log.status != MessageLog.Status.QUEUED or log.body_html:
        return log
    account = log.email_account
    url = unsubscribe_links.url_for(log.lead, campaign=log.campaign_id)
    rendered = sending.render_for(
        log.snapshot or log.campaign_step, log.lead, account, url, variant=log.variant
    )
    if not log.in_reply_to:
        log.subject = rendered.subject
    log.body_html, log.body_text = rendered.html, rendered.text
    log.message_id = log.message_id or mime.new_message_id(account.email_address)
    log.links = (
        tracking_links.trackable_links(rendered.html, url) if log.campaign.track_clicks else []
    )
    return log


def render_as_claimed(campaign: Any, size: int) -> None:
    """Ours renders a message when it is claimed (issue 14): the sampled leads' queued
    messages are rendered now, as their claim will, so that they compare with the peers',
    rendered when queued. Not timed."""
    from campaigns.models import MessageLog
    from campaigns.outbox import sending

    for log in MessageLog.objects.filter(
        campaign=campaign,
        status=MessageLog.Status.QUEUED,
        lead__email__in=sample_emails(size),
        snapshot__isnull=False,
    ).select_related("lead__organization", "lead__property", "snapshot", "campaign"):
        sending.render_claimed(log, log.email_account or campaign.email_account)


def messages(campaign: Any, size: int) -> dict:
    """The campaign's messages: how many in each status, and the sampled leads' messages."""
    from campaigns.models import MessageLog

    logs = MessageLog.objects.filter(campaign=campaign)
    statuses = Counter(logs.values_list("status", flat=True))
    related = ["lead__organization", "lead__property", "campaign_step", "email_account"]
    related += ["campaign", "snapshot"]
    sampled = logs.filter(lead__email__in=sample_emails(size)).select_related(*related)
    found: dict[str, list[dict]] = {}
    for log in sampled:
        found.setdefault(log.lead.email, []).append(_message(_rendered(log)))
    output = {
        "counts": {"messages": logs.count(), **{f"status {s}": n for s, n in statuses.items()}},
        "sample": {
            email: sorted(found.get(email, []), key=lambda m: m["step"])
            for email in sample_emails(size)
        },
    }
    if full_check():
        # Every message, rendered as its claim will render it where it is still queued.
        every: dict[str, list[dict]] = {}
        for log in logs.select_related(*related).order_by().iterator(chunk_size=2000):
            every.setdefault(log.lead.email.lower(), []).append(_message(_rendered(log)))
        output["digests"] = {
            email: _hash(sorted(found, key=lambda m: m["step"])) for email, found in every.items()
        }
    return output


def enrollments(campaign: Any, size: int) -> dict:
    """The campaign's enrollments by state and reason, and the sampled leads' enrollments;
    due times count from the enrollment's start (each worker starts at its own moment)."""
    from campaigns.models import Enrollment

    rows = Enrollment.objects.filter(campaign=campaign)
    states = Counter(rows.values_list("state", "stop_reason"))
    found = {
        enrollment.lead.email: {
            "state": enrollment.state,
            "stop_reason": enrollment.stop_reason,
            "next_order": enrollment.next_order,
            "next_due_after_start": (
                (enrollment.next_due_at - enrollment.started_at).total_seconds()
                if enrollment.next_due_at
                else None
            ),
        }
        for enrollment in rows.filter(lead__email__in=sample_emails(size)).select_related("lead")
    }
    return {
        "counts": {f"{state} {reason}".strip(): n for (state, reason), n in states.items()},
        "sample": {email: found.get(email) for email in sample_emails(size)},
    }


def merged(*outputs: dict) -> dict:
    """Several outputs as one (a tick makes messages and moves enrollments)."""
    return {
        "counts": {k: v for output in outputs for k, v in output["counts"].items()},
        "sample": {
            f"{n}:{key}": value
            for n, output in enumerate(outputs)
            for key, value in output["sample"].items()
        },
    }


def differences(ours: dict, theirs: dict, most: int = 5) -> list[str]:
    """Where `theirs` differs from `ours`: counts first, then sampled rows field by field
    (a field on one side only is a difference)."""
    found = [
        f"count {name}: ours {ours['counts'].get(name)}, theirs {theirs['counts'].get(name)}"
        for name in sorted(set(ours["counts"]) | set(theirs["counts"]))
        if ours["counts"].get(name) != theirs["counts"].get(name)
    ]
    if "digests" in ours or "digests" in theirs:
        found += _digests_differ(ours.get("digests", {}), theirs.get("digests", {}))[:most]
    for key, row in ours["sample"].items():
        other = theirs["sample"].get(key)
        if isinstance(row, list) and isinstance(other, list) and len(row) == len(other):
            for n, (mine, their) in enumerate(zip(row, other, strict=True)):
                found += _fields_differ(f"{key}[{n}]", mine, their)
        else:
            found += _fields_differ(key, row, other)
    return found[:most]


def _digests_differ(ours: dict[str, str], theirs: dict[str, str]) -> list[str]:
    """The rows whose digests differ, or that one side has and the other not."""
    found = []
    for key in sorted(set(ours) | set(theirs)):
        if key not in theirs:
            found.append(f"row {key}: ours only (every row's digest)")
        elif key not in ours:
            found.append(f"row {key}: theirs only (every row's digest)")
        elif ours[key] != theirs[key]:
            found.append(f"row {key}: its fields differ (every row's digest)")
    return found


def _fields_differ(key: str, row: Any, other: Any) -> list[str]:
    """One row's fields that differ, or the whole row when it is not a dict on both sides."""
    if row == other:
        return []
    if isinstance(row, dict) and isinstance(other, dict):
        return [
            f"{key} {name}: {_where_differ(row.get(name, '(none)'), other.get(name, '(none)'))}"
            for name in sorted(set(row) | set(other))
            if name not in row or name not in other or row[name] != other[name]
        ]
    return [f"{key}: {_where_differ(row, other)}"]


def _where_differ(mine: Any, their: Any) -> str:
    """Two values, or for two texts the place where they part (a long body differs late)."""
    if isinstance(mine, str) and isinstance(their, str):
        at = next(
            (n for n, (a, b) in enumerate(zip(mine, their, strict=False)) if a != b),
            min(len(mine), len(their)),
        )
        ours_part, their_part = (text[max(0, at - 40) : at + 80] for text in (mine, their))
        return f"from character {at}: ours {ours_part!r}, theirs {their_part!r}"
    return f"ours {mine!r:.200}, theirs {their!r:.200}"
