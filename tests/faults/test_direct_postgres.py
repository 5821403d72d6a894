"""PostgreSQL crashes mid-blast (`pg_ctl -m immediate restart`) under two direct senders:
they survive it, record what they sent meanwhile once the server is back, and finish the
blast, each message once; with `synchronous_commit=off`, no committed claim is lost."""

import time

import pytest

from campaigns.models import MessageLog
from campaigns.outbox import claims
from tests.faults import checks
from tests.faults.world import sent_count

LEADS = 300


def crash_mid_blast(world) -> None:
    cast = world.agency(leads=LEADS, accounts={"a": 1000}, refused=[5, 150])
    world.launch(world.blast(cast, "news", "a"))
    world.senders(2)
    world.wait_for("a third of the blast sent", lambda: sent_count() >= LEADS // 3, 90)
    world.cluster.crash_restart()
    back = time.monotonic()
    world.reconnect()
    world.settle(cast, after=back)
    world.fleet.check_alive()  # nobody restarted them: they went on by themselves
    checks.assert_held(checks.verdicts(cast, world.standin))


@pytest.mark.timeout(240)
def test_two_senders_go_on_after_postgres_crashes_and_send_each_message_once(world):
    crash_mid_blast(world)


@pytest.mark.timeout(240)
def test_with_synchronous_commit_off_a_crash_loses_no_claim_and_sends_nothing_twice(world):
    # Asynchronous commits are flushed every 10 s at most: a crash loses the last ones.
    world.cluster.configure(synchronous_commit="off", wal_writer_delay="10s")
    crash_mid_blast(world)


@pytest.mark.timeout(120)
def test_a_claim_committed_before_a_crash_is_still_claimed_after_it(world):
    world.cluster.configure(synchronous_commit="off", wal_writer_delay="10s")
    cast = world.agency(leads=20, accounts={"a": 1000})
    world.launch(world.blast(cast, "news", "a"))
    account = cast.accounts["a"]
    claimed = [
        message.pk for message in claims.claim(account, claims.account_queue(account), 5).messages
    ]
    assert len(claimed) == 5
    world.cluster.crash_restart()
    world.reconnect()
    still = MessageLog.objects.filter(pk__in=claimed, status=MessageLog.Status.SENDING).count()
    assert still == 5, "a claim committed before the crash was lost: its message would go twice"
