"""What the scale test asserts once the run has settled, from the Gmail stand-in's record
(what Google would have seen) and the database (what the outbox says), and the figures it
prints."""

from collections import Counter
from dataclasses import dataclass

from bench.gmail_standin import Accepted, QuotaStandIn, User
from campaigns.models import Dispatch, MessageLog
from tests.scale.scenario import OPTED_OUT_BEFORE, REFUSED, Cast, address, at_cap, lead_address

Status = MessageLog.Status
DONE = {Status.SENT, Status.FAILED, Status.SKIPPED}
IN_DOUBT = {Status.SENDING, Status.UNKNOWN}
WINDOW = 60.0


@dataclass(frozen=True)
class Kill:
    name: str
    at: float  # time.monotonic(), the stand-in's clock


@dataclass(frozen=True)
class Row:
    """A message of the log, as the checks need it."""

    message_id: str
    lead: str
    step: str
    account: str
    driver: str
    status: str
    to: str


def rows() -> list[Row]:
    fields = ["message_id", "lead_id", "campaign_step_id", "email_account__email_address"]
    fields += ["dispatch__driver", "status", "to_email"]
    return [Row(*map(str, values)) for values in MessageLog.objects.values_list(*fields)]


def busiest_window(moments: list[float]) -> int:
    """The most sends in any minute (a sliding window, as Gmail's quota)."""
    most, first = 0, 0
    for last, moment in enumerate(moments):
        while moments[first] <= moment - WINDOW:
            first += 1
        most = max(most, last - first + 1)
    return most


def closest_to_quota(moments: list[float], quota: int) -> float | None:
    """How near the sends came to the quota: the least time by which a send was later
    than the moment its window held one send fewer than the quota (negative: passed)."""
    gaps = [moments[n + quota] - moments[n] - WINDOW for n in range(len(moments) - quota)]
    return min(gaps) if gaps else None


@dataclass(frozen=True)
class Run:
    """What the checks read: the stand-in's record, the cast, the log and the kills."""

    standin: QuotaStandIn
    cast: Cast
    log: list[Row]
    kills: list[Kill]

    def accepted(self) -> list[Accepted]:
        return [message for user in self.standin.users.values() for message in user.messages]


def verdicts(run: Run) -> dict[str, list[str]]:
    """Each check's problems (none: it held), by what it asserts."""
    return {
        "Gmail never answered 429": _no_429(run),
        "no account passed its per-minute quota or its daily cap": _within_limits(run),
        "nothing was sent twice": _nothing_twice(run),
        "the log agrees with what Gmail got": _log_matches_gmail(run),
        "every message ended sent, failed, skipped, queued for tomorrow or in doubt in a "
        "killed process": _every_message_settled(run),
    }


def _no_429(run: Run) -> list[str]:
    return [f"stand-in: {problem}" for problem in run.standin.problems] + [
        f"{user.email}: {user.refused} answered 429 over the per-minute quota, "
        f"{user.refused_daily} over the daily cap"
        for user in run.standin.users.values()
        if user.refused or user.refused_daily
    ]


def _within_limits(run: Run) -> list[str]:
    """From the stand-in's timestamps, whatever it answered."""
    found = []
    for key, account in run.cast.accounts.items():
        user = run.standin.users[address(key)]
        busiest, quota = busiest_window(user.accepted), run.standin.capacity
        if busiest > quota:
            found.append(f"{user.email}: {busiest} sends in a minute, quota {quota}")
        if len(user.accepted) > account.daily_limit:
            found.append(f"{user.email}: {len(user.accepted)} sent, cap {account.daily_limit}")
    return found


def _nothing_twice(run: Run) -> list[str]:
    """No Message-ID twice at Gmail, no (To, Subject) twice, no (lead, step) twice."""
    accepted = run.accepted()
    by_id = {row.message_id: row for row in run.log if row.message_id}
    found = [
        f"Message-ID {mid} reached Gmail {n} times"
        for mid, n in Counter(m.message_id for m in accepted).items()
        if n > 1
    ]
    found += [
        f"{to} got {subject!r} {n} times"
        for (to, subject), n in Counter((m.to, m.subject) for m in accepted).items()
        if n > 1
    ]
    unknown = [m.message_id for m in accepted if m.message_id not in by_id]
    if unknown:
        found.append(f"{len(unknown)} messages at Gmail match no message of the log")
    known = [by_id[m.message_id] for m in accepted if m.message_id in by_id]
    pairs = Counter((row.lead, row.step) for row in known)
    found += [
        f"lead {lead} got step {step} {n} times" for (lead, step), n in pairs.items() if n > 1
    ]
    return found


def _log_matches_gmail(run: Run) -> list[str]:
    """What the log calls sent reached Gmail; what reached Gmail is logged as sent (or is
    the message a killed process had in flight)."""
    at_gmail = {m.message_id for m in run.accepted()}
    found = [
        f"{row.to}: logged {row.status} by {row.driver}, yet Gmail never got it"
        for row in run.log
        if row.status == Status.SENT and row.message_id not in at_gmail
    ]
    found += [
        f"{row.to}: Gmail got it, yet it is logged {row.status}"
        for row in run.log
        if row.message_id in at_gmail and row.status not in {Status.SENT, *IN_DOUBT}
    ]
    return found


def _every_message_settled(run: Run) -> list[str]:
    """Sent, failed (a refused address), skipped (opted out), queued on an account at its
    cap (for tomorrow), or in doubt: in flight in a process that was killed, at most one
    for each kill (never resent: Gmail may have it)."""
    capped = {a.email_address for a in run.cast.accounts.values() if at_cap(a)}
    found = [
        f"{row.to}: {row.status} by {row.driver}"
        for row in run.log
        if row.status not in DONE | IN_DOUBT
        and not (row.status == Status.QUEUED and row.account in capped)
    ]
    found += [
        f"{row.to}: failed, yet Gmail accepts it"
        for row in run.log
        if row.status == Status.FAILED and row.to not in map(lead_address, REFUSED)
    ]
    in_doubt = [row for row in run.log if row.status in IN_DOUBT]
    if len(in_doubt) > len(run.kills):
        found.append(f"{len(in_doubt)} messages left in doubt by {len(run.kills)} killed processes")
    opted_out = {lead_address(n) for n in OPTED_OUT_BEFORE}
    found += [
        f"{row.to} opted out, yet {row.status}"
        for row in run.log
        if row.to in opted_out and row.status != Status.SKIPPED
    ]
    return found


def figures(run: Run, seconds: float, started: float) -> list[str]:
    """The run in numbers: per account, what went out against the quota and the cap."""
    by_id = {row.message_id: row for row in run.log if row.message_id}
    launched = sorted(Dispatch.objects.values_list("created_at", flat=True))
    spread = (launched[-1] - launched[0]).total_seconds()
    lines = [f"the 4 blasts launched within {spread:.2f} s of each other"]
    lines.append(f"wall time, from the launch until every message settled: {seconds:.0f} s")
    for key, account in run.cast.accounts.items():
        user = run.standin.users[address(key)]
        lines.append(_account_line(run.standin, user, account.daily_limit))
        drivers = Counter(_driver(by_id, m) for m in user.messages)
        if len(drivers) > 1:
            lines.append(
                "    by driver: " + ", ".join(f"{d} {n}" for d, n in sorted(drivers.items()))
            )
    statuses = Counter(row.status for row in run.log)
    lines.append("messages: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    lines += [f"killed {kill.name} (SIGKILL) at +{kill.at - started:.0f} s" for kill in run.kills]
    at_gmail = {m.message_id for m in run.accepted()}
    in_doubt = [row for row in run.log if row.status in IN_DOUBT]
    delivered = sum(row.message_id in at_gmail for row in in_doubt)
    lines.append(f"in doubt (in flight in a killed process): {len(in_doubt)}, {delivered} at Gmail")
    return lines + _n8n_after_kill(run, by_id, started)


def _driver(by_id: dict[str, Row], message: Accepted) -> str:
    row = by_id.get(message.message_id)
    return row.driver if row else "no message of the log"


def _account_line(standin: QuotaStandIn, user: User, cap: int) -> str:
    moments, quota = user.accepted, standin.capacity
    if len(moments) < 2:
        return f"{user.email}: {len(moments)} sent"
    rate = (len(moments) - 1) / (moments[-1] - moments[0]) * WINDOW
    closest = closest_to_quota(moments, quota)
    near = f", closest to the quota {closest * 1000:.0f} ms" if closest is not None else ""
    return (
        f"{user.email}: {len(moments)} sent (daily cap {cap}) in {moments[-1] - moments[0]:.0f} s, "
        f"{rate:.1f}/min on average, busiest minute {busiest_window(moments)} (quota {quota}/min)"
        f"{near}; 429 answered: {user.refused + user.refused_daily}"
    )


def _n8n_after_kill(run: Run, by_id: dict[str, Row], started: float) -> list[str]:
    """When n8n sent again after its worker was killed (a new run, asked for by the
    watchdog, or n8n's own re-run of the execution)."""
    worker = next((kill for kill in run.kills if kill.name.startswith("n8n-worker")), None)
    if worker is None:
        return []
    by_n8n = sorted(m.at for m in run.accepted() if _driver(by_id, m) == "n8n")
    after = [moment for moment in by_n8n if moment > worker.at]
    before = len(by_n8n) - len(after)
    if not after:
        return [f"n8n: {before} sent before the kill, none after (its account was capped first)"]
    return [
        f"n8n: {before} sent before the kill; a run after it sent {len(after)} more from "
        f"+{after[0] - started:.0f} s"
    ]
