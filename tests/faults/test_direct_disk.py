"""The sandbox's folder is a 1 MB disk that fills up mid-blast: the sender survives, writes
no half file, puts the message back, and sends the rest once space is freed."""

import os
import shutil
import subprocess
import time

import pytest

from campaigns.models import EmailAccount, MessageLog
from tests.faults import checks
from tests.faults.world import sent_count

LEADS = 400


@pytest.mark.timeout(240)
@pytest.mark.skipif(os.getuid() != 0, reason="mounting a tmpfs needs root")
def test_a_full_sandbox_disk_holds_the_blast_until_space_is_freed(world):
    outbox = world.var / "outbox"
    outbox.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(outbox)], check=True)
    try:
        cast = world.agency(
            leads=LEADS, accounts={"a": 5000}, provider=EmailAccount.Provider.SANDBOX
        )
        world.launch(world.blast(cast, "news", "a"))
        world.senders(2)
        full = MessageLog.objects.filter(attempts__gt=0)
        world.wait_for("the disk full", full.exists, 90)
        assert sent_count() < LEADS
        time.sleep(10)  # full for a while
        # The operator frees space: what was written moves to a larger disk.
        kept = world.var / "outbox-moved"
        shutil.copytree(outbox, kept)
        for entry in outbox.iterdir():
            shutil.rmtree(entry)
        freed = time.monotonic()
        world.settle(cast, after=freed)
        world.fleet.check_alive()
        checks.assert_held(checks.verdicts(cast, sandbox=world.var))
        assert not list(world.var.rglob("*.tmp")), "a temporary file was left behind"
    finally:
        world.fleet.stop_all()
        subprocess.run(["umount", "-l", str(outbox)], check=False)
