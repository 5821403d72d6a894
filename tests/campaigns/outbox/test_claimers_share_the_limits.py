"""Claimers at work at once on one account — the direct driver and an n8n dispatch, each in
its own thread with its own database connection — never pass, together, the account's
rolling-24-hour cap or its per-minute quota: both live in the database, not in a process."""

import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, CampaignStep, Dispatch, EmailAccount, MessageLog
from campaigns.outbox import claims
from crm.models import Lead


def two_blasts(campaign, account, leads=15):
    """The campaign sent directly, and a copy of it through n8n, from the same account;
    returns the copy's dispatch."""
    Lead.objects.bulk_create(
        Lead(organization=campaign.organization, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(leads)
    )
    Campaign.objects.filter(pk=campaign.pk).update(email_account=account)
    campaign.refresh_from_db()
    blasts.campaign_launch(campaign=campaign)
    copy = Campaign.objects.create(
        organization=campaign.organization, name="Copy", email_account=account
    )
    CampaignStep.objects.create(campaign=copy, subject="s", body_template="<p>b</p>")
    through_n8n = blasts.campaign_launch(campaign=copy)
    Dispatch.objects.filter(pk=through_n8n.pk).update(driver=Dispatch.Driver.N8N)
    through_n8n.refresh_from_db()
    return through_n8n


def run_together(*claimers, seconds, messages=0):
    """Each claimer in its own thread until `seconds` pass, and on (up to a minute, on a
    loaded machine) until together they claimed `messages`; returns (moment, claim) pairs."""
    got: list[tuple[float, claims.Claim]] = []
    barrier = threading.Barrier(len(claimers))
    deadline = time.monotonic() + seconds
    give_up = deadline + 60

    def going() -> bool:
        now = time.monotonic()
        claimed: int = sum(len(claim.messages) for _, claim in got)
        return now < deadline or (claimed < messages and now < give_up)

    def work(claim_once):
        barrier.wait()
        while going():
            claim = claim_once()
            moment = time.monotonic()
            got.append((moment, claim))
            for message in claim.messages:
                claims.finish(message, MessageLog.Status.SENT, sent_at=timezone.now())
            if not claim.messages:
                time.sleep(min(claim.retry_after or 0.01, 0.01))
        connection.close()

    threads = [threading.Thread(target=work, args=(claimer,)) for claimer in claimers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return got


@pytest.mark.django_db(transaction=True)
def test_the_direct_driver_and_n8n_together_stop_at_the_daily_cap(campaign_a, account_a, settings):
    settings.GMAIL_QUOTA_UNITS_PER_MINUTE = 100_000_000  # the cap, not the quota, stops them
    EmailAccount.objects.filter(pk=account_a.pk).update(daily_limit=7)
    through_n8n = two_blasts(campaign_a, account_a)
    got = run_together(
        lambda: claims.claim_for_account(account_a),
        lambda: claims.claim_for_dispatch(through_n8n, 2),
        seconds=1.5,
        messages=7,
    )
    assert MessageLog.objects.filter(status=MessageLog.Status.SENT).count() == 7
    # Each driver asks once more after the run (a loaded machine may end it at the 7th).
    # (After a pause past the per-minute pace's next slot, so the cap is what refuses.)
    late = []
    for claim_once in (
        lambda: claims.claim_for_account(account_a),
        lambda: claims.claim_for_dispatch(through_n8n, 2),
    ):
        time.sleep(claims.MIN_WAIT * 2)
        late.append(claim_once())
    got += [(time.monotonic(), claim) for claim in late]
    assert {claim.reason for _, claim in got if not claim.messages} == {claims.DAILY_CAP}
    assert all(not claim.messages for claim in late)
    waits = [claim.retry_after for _, claim in got if claim.reason == claims.DAILY_CAP]
    assert all(86_390 < wait <= 86_400 for wait in waits)


@pytest.mark.django_db(transaction=True)
def test_the_direct_driver_and_n8n_together_keep_to_the_per_minute_quota(
    campaign_a, account_a, settings
):
    # 120,000 units a minute at 100 a send: 20 sends a second, one every 0.05 s.
    settings.GMAIL_QUOTA_UNITS_PER_MINUTE = 120_000
    through_n8n = two_blasts(campaign_a, account_a, leads=40)
    got = run_together(
        lambda: claims.claim_for_account(account_a),
        lambda: claims.claim_for_dispatch(through_n8n, 3),
        seconds=1.2,
        messages=15,
    )
    # Each message goes at its slot: the claim's answer, plus its place x the spacing.
    slots = sorted(
        moment + index * claim.spacing
        for moment, claim in got
        for index, _ in enumerate(claim.messages)
    )
    busiest = max(sum(1 for other in slots if start <= other < start + 1) for start in slots)
    # One more than the quota, for a claim's answer a few milliseconds late.
    assert len(slots) >= 15 and busiest <= 21
    # Every refusal waits for a slot; on a loaded machine there may be none (each claim
    # comes after its slot), so the set may be empty, never another reason.
    assert {claim.reason for _, claim in got if not claim.messages} <= {claims.PACED}
