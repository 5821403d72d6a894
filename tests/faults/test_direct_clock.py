"""One sender's clock is 25 hours behind: the daily cap (60) still holds, because claims,
sends and the 24-hour window read the database's clock, not the process's."""

import time

import pytest

from tests.faults import checks
from tests.faults.world import sent_count

CAP = 60


@pytest.mark.timeout(180)
def test_a_sender_25_hours_behind_cannot_pass_the_daily_cap(world):
    cast = world.agency(leads=150, accounts={"a": CAP})
    world.launch(world.blast(cast, "news", "a"))
    # The skewed sender goes first, alone: what it sends is dated by its clock, if by any.
    world.senders(1, prefix=("faketime", "-f", "-25h"))
    world.wait_for("the skewed sender sent", lambda: sent_count() >= CAP // 2, 90)
    world.senders(1, first=2)
    world.settle(cast, after=time.monotonic())
    world.fleet.check_alive()
    checks.assert_held(checks.verdicts(cast, world.standin))
    assert len(world.standin.users["agent-a@gmail.example"].accepted) == CAP
