"""What every fault test asserts once its run has settled, from what Gmail got (the stand-in's
record, or the sandbox's .eml files) and what the outbox says:

- nothing went out twice;
- the log agrees with what went out;
- every message ended sent, skipped, failed for a permanent reason (an address Gmail
  refuses), or still held by its account's daily cap; none is left `sending` or `queued`
  for no reason; `unknown` (in doubt: the answer was cut off) only as many as the test
  allows, and never sent again;
- no account passed its per-minute quota or its daily cap.

The issue's last promise, recovery within two minutes of the fault's end without a
restart by hand, is `World.settle`'s deadline (and no test restarts a process).
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from bench.gmail_standin import QuotaStandIn
from campaigns.models import MessageLog
from campaigns.outbox import claims
from tests.faults.world import Cast
from tests.scale.checks import busiest_window

Rows = Sequence[Mapping[str, Any]]  # the message log's rows, as values() reads them

Status = MessageLog.Status
HEADERS = BytesHeaderParser(policy=policy.default)


def verdicts(
    cast: Cast,
    standin: QuotaStandIn | None = None,
    *,
    in_doubt: int = 0,
    sandbox: Path | None = None,
) -> dict[str, list[str]]:
    """Each check's problems (empty: it held). `in_doubt`: how many messages the fault may
    leave `unknown`; `sandbox`: the sandbox's folder, when the accounts write .eml files."""
    rows = list(
        MessageLog.objects.filter(is_test=False).values(
            "pk",
            "message_id",
            "lead_id",
            "campaign_step_id",
            "status",
            "to_email",
            "error_message",
            "email_account__email_address",
        )
    )
    delivered = _sandbox_ids(sandbox) if sandbox else _gmail_ids(standin)
    return {
        "nothing was sent twice": _nothing_twice(rows, delivered),
        "the log agrees with what went out": _log_agrees(rows, delivered),
        "every message ended sent, skipped, failed for good or held by its cap": _settled(
            cast, rows, delivered, in_doubt
        ),
        "no account passed its per-minute quota or its daily cap": _within_limits(cast, standin),
    }


def assert_held(found: dict[str, list[str]]) -> None:
    """Fail with every broken check and its first problems."""
    broken = {check: problems for check, problems in found.items() if problems}
    if broken:
        lines = []
        for check, problems in broken.items():
            lines.append(f"FAILED: {check}")
            lines += [f"    {problem}" for problem in problems[:15]]
            if len(problems) > 15:
                lines.append(f"    ... and {len(problems) - 15} more")
        raise AssertionError("\n".join(lines))


def _gmail_ids(standin: QuotaStandIn | None) -> list[str]:
    assert standin is not None
    return [m.message_id for user in standin.users.values() for m in user.messages]


def _sandbox_ids(folder: Path) -> list[str]:
    """The Message-ID of every .eml file the sandbox wrote; an empty or unreadable file is
    a message half written (the disk filled up mid-write), reported as such."""
    found = []
    for path in sorted(folder.rglob("*.eml")):
        data = path.read_bytes()
        message_id = str(HEADERS.parsebytes(data)["Message-ID"] or "") if data else ""
        found.append(message_id or f"half-written file {path.name}")
    return found


def _nothing_twice(rows: Rows, delivered: list[str]) -> list[str]:
    found = [f"{mid} went out {n} times" for mid, n in Counter(delivered).items() if n > 1]
    found += [mid for mid in delivered if mid.startswith("half-written")]
    by_id = {row["message_id"]: row for row in rows if row["message_id"]}
    pairs = Counter(
        (by_id[mid]["lead_id"], by_id[mid]["campaign_step_id"]) for mid in delivered if mid in by_id
    )
    found += [
        f"lead {lead} got step {step} {n} times" for (lead, step), n in pairs.items() if n > 1
    ]
    strangers = [mid for mid in delivered if mid not in by_id and not mid.startswith("half")]
    if strangers:
        found.append(f"{len(strangers)} messages went out that match no message of the log")
    return found


def _log_agrees(rows: Rows, delivered: list[str]) -> list[str]:
    out = set(delivered)
    found = [
        f"{row['to_email']}: logged sent, yet it never went out"
        for row in rows
        if row["status"] == Status.SENT and row["message_id"] not in out
    ]
    found += [
        f"{row['to_email']}: it went out, yet it is logged {row['status']} ({row['error_message']})"
        for row in rows
        if row["message_id"] in out and row["status"] not in (Status.SENT, Status.UNKNOWN)
    ]
    return found


def _settled(cast: Cast, rows: Rows, delivered: list[str], in_doubt: int) -> list[str]:
    capped = {
        account.email_address
        for account in cast.accounts.values()
        if claims.sent_in_last_day(account) >= account.daily_limit
    }
    found = []
    for row in rows:
        status, where = row["status"], f"{row['to_email']} ({row['error_message'] or 'no reason'})"
        if status in (Status.SENT, Status.SKIPPED, Status.UNKNOWN):
            continue
        if status == Status.FAILED and row["to_email"] in cast.refused:
            continue
        if status == Status.QUEUED and row["email_account__email_address"] in capped:
            continue
        found.append(f"{where}: {status}")
    doubts = [row for row in rows if row["status"] == Status.UNKNOWN]
    if len(doubts) > in_doubt:
        found.append(
            f"{len(doubts)} messages left unknown, at most {in_doubt} expected: "
            + "; ".join(f"{row['to_email']} ({row['error_message']})" for row in doubts[:5])
        )
    return found


def _within_limits(cast: Cast, standin: QuotaStandIn | None) -> list[str]:
    """The daily cap as the outbox counts it (Gmail's own cap is left off in the stand-in,
    so that passing ours shows), and the per-minute quota as Gmail saw it."""
    found = []
    for account in cast.accounts.values():
        counted = claims.sent_in_last_day(account)
        if counted > account.daily_limit:
            found.append(
                f"{account.email_address}: {counted} in 24 hours, cap {account.daily_limit}"
            )
        if standin is None or account.email_address not in standin.users:
            continue
        user = standin.users[account.email_address]
        if len(user.accepted) > account.daily_limit:
            got, cap = len(user.accepted), account.daily_limit
            found.append(f"{account.email_address}: Gmail got {got}, cap {cap}")
        if busiest_window(user.accepted) > standin.capacity or user.refused:
            found.append(
                f"{account.email_address}: {busiest_window(user.accepted)} sends in a minute "
                f"(quota {standin.capacity}); {user.refused} answered 429"
            )
    return found
