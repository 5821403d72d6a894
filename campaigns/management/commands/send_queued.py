"""python manage.py send_queued [--loop] [--limit N]: the direct driver of the outbox."""

import datetime
import logging
import signal
import time
from collections import Counter, defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import ngettext

from campaigns.ab_tests import variants
from campaigns.events import replies
from campaigns.launching import blasts, queuing
from campaigns.models import MessageLog
from campaigns.n8n import watchdog
from campaigns.outbox import claims
from campaigns.reporting import sender_health, stats
from campaigns.sequences import schedule

log = logging.getLogger(__name__)
TICK_SECONDS = 60
REPLIES_SECONDS = 15 * 60
REPORT_SECONDS = 60
Status = MessageLog.Status
OTHER_OUTCOMES = [
    (Status.SKIPPED, "skipped (opted out)"),
    (Status.QUEUED, "put back in the queue"),
    (Status.UNKNOWN, "unknown (no answer from Gmail)"),
]


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
        handled, totals = 0, {}
        progress = Progress(report_seconds)
        next_tick = next_replies = next_stats = 0.0
        # Pages warn "nothing is sending" when this goes quiet while messages wait.
        heartbeat = sender_health.Heartbeat()
        while not self.stopping:
            heartbeat.beat()
            if loop and time.monotonic() >= next_tick:
                # Running as a service, the sender also runs the sequence tick each minute.
                schedule.tick()
                next_tick = time.monotonic() + TICK_SECONDS
            if loop and time.monotonic() >= next_replies:
                # ... and reads replies and bounces every 15 minutes (opted-in accounts).
                for result in replies.check_replies():
                    if result.problem:
                        self.stderr.write(str(result))
                next_replies = time.monotonic() + REPLIES_SECONDS
            if loop and time.monotonic() >= next_stats:
                # ... and sums the dashboard's past days every 5 minutes.
                stats.refresh()
                next_stats = time.monotonic() + stats.REFRESH_EVERY.total_seconds()
            if loop:
                # ... and finishes queuing a launch whose web process stopped meanwhile.
                queuing.take_over_orphans()
            blasts.start_scheduled()
            watchdog.replace_lost_runs()  # n8n mode: lost runs are replaced
            variants.decide_due()  # A/B subject tests whose wait is over send their winner
            expired = claims.expire_stale_claims()
            if expired:
                left = ngettext(
                    "%(n)s message left mid-send by a stopped sender",
                    "%(n)s messages left mid-send by a stopped sender",
                    expired,
                )
                self.stderr.write(f"{left % {'n': expired}}: marked unknown, not resent.")
            progressed, waits, paced = False, [], []
            for account in claims.sendable_accounts():
                claim = claims.claim_for_account(account)
                if claim.retry_after is not None:
                    waits.append(claim.retry_after)
                    if claim.reason == claims.PACED:
                        paced.append(claim.retry_after)
                for message in claim.messages:
                    heartbeat.beat()
                    status = claims.send_one(message, account)
                    totals[status] = totals.get(status, 0) + 1
                    progress.record(message, status)
                    handled += 1
                    progressed = True
                if (limit and handled >= limit) or self.stopping:
                    break
            blasts.finish_dispatches()
            for line in progress.report():
                log.info(line)
            if limit and handled >= limit:
                break
            if not progressed:
                # Run once, the sender still drains what only waits for its quota slot;
                # as a service, it sleeps until the soonest claim may succeed.
                if not loop and not paced:
                    break
                time.sleep(min([*waits, idle_seconds]) if loop else min(paced))
        summary = ", ".join(f"{count} {status}" for status, count in sorted(totals.items()))
        handled_text = ngettext("Handled %(n)s message", "Handled %(n)s messages", handled)
        done = handled_text % {"n": handled}
        self.stdout.write(f"{done}{': ' + summary if summary else ''}.")

    def stop(self, *args: Any) -> None:
        self.stopping = True
