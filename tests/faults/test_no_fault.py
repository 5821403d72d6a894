"""The harness itself: with no fault, two senders send a blast once each, within the cap."""

import time

import pytest

from tests.faults import checks


@pytest.mark.timeout(180)
def test_two_senders_send_a_blast_once_within_the_cap(world):
    cast = world.agency(leads=40, accounts={"a": 30}, refused=[7])
    world.launch(world.blast(cast, "news", "a"))
    world.senders(2)
    world.settle(cast, after=time.monotonic())
    checks.assert_held(checks.verdicts(cast, world.standin))
