"""The sender logs, once a minute while it sends, what each agency sent and what failed."""

import datetime
import logging
import re
from io import StringIO

import time_machine
from django.core.management import call_command

from campaigns.management.commands.send_queued import Progress
from campaigns.models import Campaign, MessageLog
from crm.models import Lead

Status = MessageLog.Status
SENDER_LOG = "campaigns.management.commands.send_queued"


def test_a_line_per_agency_comes_once_a_minute(message_a, message_b):
    with time_machine.travel(
        datetime.datetime(2026, 3, 2, 17, 0, tzinfo=datetime.UTC), tick=False
    ) as clock:
        progress = Progress(60)
        for status in (Status.SENT, Status.SENT, Status.FAILED, Status.SKIPPED):
            progress.record(message_a, status)
        progress.record(message_b, Status.SENT)
        clock.shift(59)
        assert progress.report() == []
        clock.shift(2)
        assert progress.report() == [
            "Harbor Homes: 1 sent, 0 failed in the last minute",
            "Sunset Realty: 2 sent, 1 failed, 1 skipped (opted out, suppressed or without "
            "consent) in the last minute",
        ]
        clock.shift(61)
        assert progress.report() == []  # nothing sent in that minute: nothing to say


def test_send_queued_writes_the_progress_to_its_log(campaign_a, gmail_account, google, caplog):
    from campaigns.launching import blasts as dispatch

    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    for n in range(3):
        Lead.objects.create(
            organization=campaign_a.organization, name=f"L{n}", email=f"l{n}@x.example"
        )
    google.reject_recipients = {"l1@x.example"}
    dispatch.campaign_launch(campaign=campaign_a)
    with caplog.at_level(logging.INFO, logger=SENDER_LOG):
        call_command("send_queued", "--report-seconds", "0", stdout=StringIO(), stderr=StringIO())
    lines = [record.getMessage() for record in caplog.records if record.name == SENDER_LOG]
    counts = [
        re.fullmatch(r"Sunset Realty: (\d) sent, (\d) failed in the last 0 seconds", line)
        for line in lines
    ]
    assert all(counts), lines
    assert sum(int(match[1]) for match in counts) == 2
    assert sum(int(match[2]) for match in counts) == 1
