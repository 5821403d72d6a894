"""Gmail fails for a while under two direct senders: 500s for 30 s, a hang of 60 s after it
took the message, its token endpoint failing for 60 s while every access token expired.
Nothing fails for good that Google did not refuse, nothing goes twice, and sending goes on
by itself within two minutes of the fault's end."""

import time

import pytest

from campaigns.models import MessageLog
from tests.faults import checks
from tests.faults.world import sent_count

LEADS = 150
Status = MessageLog.Status


def blast_then(world, fault, *, leads: int = LEADS):
    """Launch a blast from one account, start two senders, run `fault(world)` once a tenth
    has gone (it returns when the fault ends), then wait for the run to settle."""
    cast = world.agency(leads=leads, accounts={"a": 1000}, refused=[3, 100])
    world.launch(world.blast(cast, "news", "a"))
    world.senders(2)
    world.wait_for("a tenth of the blast sent", lambda: sent_count() >= leads // 10, 90)
    ended = fault(world)
    world.settle(cast, after=ended)
    world.fleet.check_alive()
    return cast


def for_a_while(mode: str, seconds: float, *, expire_tokens: bool = False):
    def fault(world) -> float:
        if expire_tokens:
            world.standin.fail("expire_tokens")
        world.standin.fail(mode, seconds)
        time.sleep(seconds)
        return time.monotonic()

    return fault


@pytest.mark.timeout(240)
def test_gmail_answering_500_for_30_seconds_fails_nothing_for_good(world):
    cast = blast_then(world, for_a_while("error_500", 30))
    checks.assert_held(checks.verdicts(cast, world.standin))
    back = MessageLog.objects.filter(attempts__gt=0).count()
    assert back, "the fault met no message: it proves nothing"


@pytest.mark.timeout(300)
def test_gmail_hanging_60_seconds_after_taking_messages_sends_none_twice(world):
    # Each sender times out (30 s) on what it had in flight: Gmail has those, the outbox
    # cannot know, so they stay unknown and are never resent; the account rests meanwhile.
    cast = blast_then(world, for_a_while("hang_after_accept", 60))
    checks.assert_held(checks.verdicts(cast, world.standin, in_doubt=4))
    delivered = {m.message_id for user in world.standin.users.values() for m in user.messages}
    unknown = MessageLog.objects.filter(status=Status.UNKNOWN)
    assert unknown.exists(), "the hang met no message: it proves nothing"
    assert all(message.message_id in delivered for message in unknown)


@pytest.mark.timeout(300)
def test_the_token_endpoint_failing_60_seconds_with_tokens_expired_fails_nothing_for_good(world):
    cast = blast_then(world, for_a_while("token_500", 60, expire_tokens=True))
    checks.assert_held(checks.verdicts(cast, world.standin))
    assert MessageLog.objects.filter(attempts__gt=0).exists(), "the fault met no message"
