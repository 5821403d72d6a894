"""Stages launch_million (SQLite) and launch_million_pg (PostgreSQL): a blast launched to an
agency's every lead at a million, against the physical limit (one raw INSERT ... SELECT of
the same rows). Goal (issue 29): the million queued in under 20 s, the launch answered in
under 1 s.

The leads are made by the database itself (bench/generated.py). Ours and the limit run in
turn, BENCH_ROUNDS rounds (the limit first every other round), each on a campaign of its
own; a contender's messages are deleted after it (untimed), so each round starts from the
same tables. The counts of messages by status must be the same on both sides.
"""

import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from bench import generated, launching
from campaigns.launching import blasts
from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from crm.models import Lead, Organization

SUBJECT = "A home for {{ lead.first_name }}"
BODY = "<p>Hello {{ lead.first_name }}, a new home in {{ lead.city }}.</p>"


def _campaign(organization: Organization, account: EmailAccount, n: int) -> Campaign:
    campaign = Campaign.objects.create(
        organization=organization,
        name=f"Blast {n}",
        email_account=account,
        audience_filter={"status": Lead.Status.values},
    )
    CampaignStep.objects.create(campaign=campaign, subject=SUBJECT, body_template=BODY)
    return campaign


def _ours(campaign: Campaign) -> tuple[float, float]:
    """The launch's answer and the time until every message is queued, in seconds."""
    started = time.perf_counter()
    blasts.campaign_launch(campaign=campaign)
    answered = time.perf_counter() - started
    for thread in threading.enumerate():
        if thread.name.startswith("queue-"):
            thread.join()
    return answered, time.perf_counter() - started


def _counts(campaign: Campaign) -> dict[str, int]:
    statuses = MessageLog.objects.filter(campaign=campaign).values_list("status", flat=True)
    return dict(Counter(statuses))


def _cleared(campaign: Campaign) -> None:
    """The campaign's messages gone, by one DELETE (nothing refers to a queued message yet:
    the ORM's delete would read a million rows to look for what cascades)."""
    messages = MessageLog.objects.filter(campaign=campaign)
    messages._raw_delete(messages.db)


def _progress(line: str) -> None:
    """A line to the work folder's launch_million.progress, as each figure comes (a run at a
    million takes minutes: what is measured survives a run stopped half-way)."""
    folder = Path(os.environ.get("VAR_DIR", "."))
    with (folder / f"launch_million.{connection.vendor}.progress").open("a") as out:
        out.write(line + "\n")


def measure(size: int) -> dict[str, Any]:
    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", slug="bench", postal_address="x")
    account = EmailAccount.objects.create(
        organization=organization,
        user=User.objects.create(username="bench"),
        email_address="bench@agency.example",
        display_name="Bench",
        provider=EmailAccount.Provider.SANDBOX,
        daily_limit=10**9,
    )
    started = time.perf_counter()
    generated.leads_made(organization, size)
    made = time.perf_counter() - started
    _progress(f"{size:,} leads made in {made:.1f} s, load {os.getloadavg()[0]:.1f}")
    rounds = int(os.environ.get("BENCH_ROUNDS", "1"))
    ours: list[float] = []
    answers: list[float] = []
    limits: list[float] = []
    for number in range(rounds):
        order = ("ours", "limit") if number % 2 == 0 else ("limit", "ours")
        for label in order:
            campaign = _campaign(organization, account, 2 * number + (label == "limit"))
            if label == "ours":
                answered, seconds = _ours(campaign)
                answers.append(answered)
                ours.append(seconds)
                counts = _counts(campaign)
                _progress(
                    f"round {number + 1}: ours answered in {answered:.2f} s, queued in "
                    f"{seconds:.1f} s, load {os.getloadavg()[0]:.1f}; {counts}"
                )
            else:
                started = time.perf_counter()
                launching.raw_insert_select(campaign)
                limits.append(time.perf_counter() - started)
                limit_counts = _counts(campaign)
                _progress(
                    f"round {number + 1}: the limit in {limits[-1]:.1f} s, "
                    f"load {os.getloadavg()[0]:.1f}; {limit_counts}"
                )
            _cleared(campaign)
    assert counts == limit_counts, f"ours {counts}, the limit {limit_counts}"
    assert sum(counts.values()) == size, counts
    name = "launch_million_pg" if connection.vendor == "postgresql" else "launch_million"
    worst = max(answers)
    return {
        name: {
            "ours": {
                "value": sorted(ours)[len(ours) // 2],
                "values": ours,
                "note": f"ours: {size:,} leads ({made:.0f} s to make), every message queued in "
                f"{min(ours):.1f}-{max(ours):.1f} s (goal: under 20 s at a million), the "
                f"launch answered in {min(answers):.2f}-{worst:.2f} s (goal: under 1 s); "
                f"{counts}",
            },
            "limit": {
                "value": sorted(limits)[len(limits) // 2],
                "values": limits,
                "note": "limit: one raw INSERT ... SELECT of the same rows",
            },
        }
    }
