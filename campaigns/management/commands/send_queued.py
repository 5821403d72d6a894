"""python manage.py send_queued [--loop] [--limit N]: the direct driver of the outbox."""

import datetime
import logging
import signal
import time
from collections import Counter, defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.translation import ngettext

from campaigns.events import replies
from campaigns.launching import blasts
from campaigns.models import EmailAccount, MessageLog
from campaigns.outbox import claims
from campaigns.periodic import jobs
from campaigns.reporting import sender_health

log = logging.getLogger(__name__)
# The periodic jobs (scheduled launches, stale claims, the sequence tick...) run as the
# sender starts, then this often: a scheduled launch starts within these seconds.
JOBS_SECONDS = 15
REPLIES_SECONDS = 15 * 60
REPORT_SECONDS = 60
# After a pass fails, the next comes this long after, twice as long while failures last.
PASS_RETRY_FIRST = 1.0
PASS_RETRY_LONGEST = 30.0
PASS_FAILED = "The pass failed ({error}); the sender goes on in {seconds:.0f} s."
Status = MessageLog.Status
OTHER_OUTCOMES = [
    (Status.SKIPPED, "skipped (opted out, suppressed or without consent)"),
    (Status.QUEUED, "put back in the queue"),
    (Status.UNKNOWN, "unknown (no answer from Gmail)"),
]


def _said(error: Exception) -> str:
    """The error's type and first line (a database error's text runs over several)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class Progress:
    """What was sent, per agency, since the last report: an operator watching the sender's
    log sees it work (or fail) once a minute, without a line per message."""

    def __init__(self, every: float) -> None:
        self.every = datetime.timedelta(seconds=every)
        self.since = timezone.now()
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)

    def record(self, message: MessageLog, status: str) -> None:
        self.counts[message.lead.organization.name][status] += 1

    def report(self) -> list[str]:
        """The lines due now (one per agency that sent), or none before the interval ends."""
        now = timezone.now()
        if now - self.since < self.every:
            return []
        minute = self.every == datetime.timedelta(minutes=1)
        period = "minute" if minute else f"{self.every.total_seconds():g} seconds"
        lines = [
            f"{name}: {counts[Status.SENT]} sent, {counts[Status.FAILED]} failed"
            + "".join(
                f", {counts[status]} {words}" for status, words in OTHER_OUTCOMES if counts[status]
            )
            + f" in the last {period}"
            for name, counts in sorted(self.counts.items())
        ]
        self.since, self.counts = now, defaultdict(Counter)
        return lines


class Command(BaseCommand):
    help = "Send queued campaign messages through each account's provider, paced per account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep running; poll when idle.")
        parser.add_argument("--limit", type=int, default=0, help="Stop after N messages.")
        parser.add_argument("--idle-seconds", type=float, default=5.0)
        parser.add_argument(
            "--report-seconds",
            type=float,
            default=REPORT_SECONDS,
            help="Log what each agency sent, this often (while sending).",
        )

    def handle(
        self,
        *args: Any,
        loop: bool,
        limit: int,
        idle_seconds: float,
        report_seconds: float,
        **opts: Any,
    ) -> None:
        self.stopping = False
        signal.signal(signal.SIGTERM, self.stop)
        self.loop, self.limit, self.idle_seconds = loop, limit, idle_seconds
        self.handled, self.totals = 0, dict[str, int]()
        self.progress = Progress(report_seconds)
        self.next_jobs = self.next_replies = 0.0
        # Pages warn "nothing is sending" when this goes quiet while messages wait.
        self.heartbeat = sender_health.Heartbeat()
        # Outcomes the database was not there to take (it restarted mid-send): recorded
        # first thing on the next pass, so a message that went is never sent again.
        self.unrecorded: list[tuple[claims.Outcome, EmailAccount]] = []
        failures = 0
        while not self.stopping:
            try:
                wait = self.one_pass()
                failures = 0
            except Exception as error:
                if not loop:
                    raise
                # Whatever a pass raised (the database restarting, a bug), the service goes
                # on: connections are dropped (the next query opens a fresh one), and the
                # next pass comes after a pause that grows while the failures last.
                failures += 1
                wait = min(PASS_RETRY_FIRST * 2 ** (failures - 1), PASS_RETRY_LONGEST)
                log.exception("the sender's pass failed; next try in %.0f s", wait)
                self.stderr.write(PASS_FAILED.format(error=_said(error), seconds=wait))
                connections.close_all()
            if wait is None:
                break
            if wait:
                time.sleep(wait)
        summary = ", ".join(f"{count} {status}" for status, count in sorted(self.totals.items()))
        handled_text = ngettext("Handled %(n)s message", "Handled %(n)s messages", self.handled)
        done = handled_text % {"n": self.handled}
        self.stdout.write(f"{done}{': ' + summary if summary else ''}.")

    def one_pass(self) -> float | None:
        """One round of the loop: the periodic work, then a claim per account and its send;
        returns how long to sleep before the next round (None: stop)."""
        loop = self.loop
        self.heartbeat.beat()
        self.record_unrecorded()
        if time.monotonic() >= self.next_jobs:
            # The same jobs as n8n's tick: launches whose time has come start, claims of a
            # dead sender expire, A/B tests are decided, sequence steps queued...
            self.report_expired(jobs.run_periodic_jobs().count("claims_expired"))
            self.next_jobs = time.monotonic() + JOBS_SECONDS
        if loop and time.monotonic() >= self.next_replies:
            # Running as a service, the sender also reads replies and bounces every 15
            # minutes (opted-in accounts).
            for result in replies.check_replies():
                if result.problem:
                    self.stderr.write(str(result))
            self.next_replies = time.monotonic() + REPLIES_SECONDS
        progressed, waits, paced = False, [], []
        for account in claims.sendable_accounts():
            claim = claims.claim_for_account(account)
            if claim.retry_after is not None:
                waits.append(claim.retry_after)
                if claim.reason == claims.PACED:
                    paced.append(claim.retry_after)
            for message in claim.messages:
                self.heartbeat.beat()
                self.send(message, account, claim.raw.get(message.pk))
                progressed = True
            if (self.limit and self.handled >= self.limit) or self.stopping:
                break
        blasts.finish_dispatches()
        for line in self.progress.report():
            log.info(line)
        if self.limit and self.handled >= self.limit:
            return None
        if progressed:
            return 0.0
        # Run once, the sender still drains what only waits for its quota slot; as a
        # service, it sleeps until the soonest claim may succeed.
        if not loop:
            return min(paced) if paced else None
        return min([*waits, self.idle_seconds])

    def report_expired(self, count: int) -> None:
        """Tell the operator about claims of a stopped sender that were just expired."""
        if count:
            left = ngettext(
                "%(n)s message left mid-send by a stopped sender",
                "%(n)s messages left mid-send by a stopped sender",
                count,
            )
            self.stderr.write(f"{left % {'n': count}}: marked unknown, not resent.")

    def send(self, message: MessageLog, account: EmailAccount, raw: bytes | None) -> None:
        outcome = claims.attempt(message, account, raw)
        try:
            status = claims.record(outcome, account)
        except DatabaseError:
            self.unrecorded.append((outcome, account))
            raise
        self.count(message, status)

    def record_unrecorded(self) -> None:
        while self.unrecorded:
            outcome, account = self.unrecorded[0]
            status = claims.record(outcome, account)
            self.unrecorded.pop(0)
            self.count(outcome.message, status)

    def count(self, message: MessageLog, status: str) -> None:
        self.totals[status] = self.totals.get(status, 0) + 1
        self.progress.record(message, status)
        self.handled += 1

    def stop(self, *args: Any) -> None:
        self.stopping = True
