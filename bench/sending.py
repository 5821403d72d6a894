"""Stage 4, sending: the direct driver against a Gmail stand-in that answers in 50 ms and
enforces the per-user quota, for one account and for three at once, and the spec's naive
loop beside it. The value is the sustained send rate as a fraction of the quota, summed
over the accounts (three accounts at the quota give 3.0).

Full size (300 messages per account) is two minutes of sending per account in real time.
Smaller sizes run four times faster: the quota window, the latency and the driver's quota
setting are all divided by four, so the shape of the run is the same.
"""

import resource
import threading
import time
from collections import Counter
from datetime import timedelta
from io import StringIO

import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.gmail_standin import CLIENT_ID, CLIENT_SECRET, QuotaStandIn

FULL_SIZE = 300
QUOTA_UNITS, SEND_COST, WINDOW, LATENCY = 15_000, 100, 60.0, 0.05
NAIVE_PAUSE = 1.0  # the naive loop's sleep after a 429, before it retries the same message


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(size: int, accounts: int) -> tuple[QuotaStandIn, float, list]:
    """`accounts` Gmail accounts, each with a launched blast of `size` queued messages."""
    from django.contrib.auth.models import User

    from bench.data import EVERY_STATUS, HTML_TEMPLATE, SUBJECT_TEMPLATE, lead_csv
    from campaigns.launching import blasts as dispatch
    from campaigns.models import Campaign, CampaignStep, EmailAccount
    from crm.importing.lead_import import leads_import
    from crm.models import Organization

    speedup = 1.0 if size >= FULL_SIZE else 4.0
    standin = QuotaStandIn(
        latency=LATENCY / speedup, units=QUOTA_UNITS, window=WINDOW / speedup, send_cost=SEND_COST
    )
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.GOOGLE_TOKEN_URI = f"{standin.base_url}/token"
    settings.GMAIL_API_BASE_URL = standin.base_url
    # The driver's pacing follows the quota it is told: the same quota, in faster time.
    settings.GMAIL_QUOTA_UNITS_PER_MINUTE = int(QUOTA_UNITS * speedup)
    settings.GMAIL_BACKOFF_BASE_SECONDS = 1.0 / speedup

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", slug="bench", postal_address="x")
    leads_import(organization=organization, data=lead_csv(size, bad_ratio=0))
    user = User.objects.create(username="bench")
    created = []
    for n in range(accounts):
        address = f"agent{n}@gmail.example"
        refresh, access = standin.add_user(address)
        account = EmailAccount.objects.create(
            organization=organization,
            user=user,
            email_address=address,
            display_name=f"Agent {n}",
            provider=EmailAccount.Provider.GMAIL,
            refresh_token=refresh,
            access_token=access,
            token_expires_at=timezone.now() + timedelta(hours=1),
            daily_limit=10**6,
        )
        campaign = Campaign.objects.create(
            organization=organization,
            name=f"Blast {n}",
            email_account=account,
            audience_filter=EVERY_STATUS,
        )
        CampaignStep.objects.create(
            campaign=campaign, subject=SUBJECT_TEMPLATE, body_template=HTML_TEMPLATE
        )
        dispatch.campaign_launch(campaign=campaign)
        created.append(account)
    return standin, speedup, created


def measure(standin: QuotaStandIn, speedup: float, seconds: float, who: str) -> dict:
    """The sustained rate of each user, as a fraction of the quota, summed; checks that every
    accepted send is recorded once. The rate runs from a user's second accepted send to its
    last: the stand-in starts each user with two free slots, which a sender may take at once."""
    from campaigns.models import MessageLog

    standin.stop()
    assert not standin.problems, standin.problems
    sent = MessageLog.objects.filter(status=MessageLog.Status.SENT).count()
    accepted = sum(len(user.accepted) for user in standin.users.values())
    assert sent == accepted, f"{sent} recorded as sent, {accepted} accepted by the stand-in"
    window = WINDOW / speedup
    fractions = []
    for user in standin.users.values():
        span = user.accepted[-1] - user.accepted[1]
        fractions.append((len(user.accepted) - 2) / span * window / standin.capacity)
    refused = sum(user.refused for user in standin.users.values())
    closest = min(user.closest for user in standin.users.values()) * speedup
    margin = f"closest to one {closest * 1000:.1f} ms, " if closest < float("inf") else ""
    statuses = Counter(MessageLog.objects.values_list("status", flat=True))
    return {
        "value": sum(fractions),
        "seconds": seconds,
        "refused": refused,
        "sent": sent,
        # Every message sent once, none left behind: the same for every contender.
        "output": {"counts": {f"status {s}": n for s, n in statuses.items()}, "sample": {}},
        "note": (
            f"{who}: {sent:,} sent in {seconds * speedup:.0f} s (real-equivalent), "
            f"{refused:,} answered 429, {margin}per account "
            + " ".join(f"{fraction:.3f}" for fraction in fractions)
        ),
    }


def ours(size: int, accounts: int) -> dict:
    """The direct driver: `manage.py send_queued`, draining every account's queue."""
    standin, speedup, _ = prepare(size, accounts)
    before = _rss_mb()
    started = time.perf_counter()
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())
    seconds = time.perf_counter() - started
    result = measure(standin, speedup, seconds, "ours")
    return {**result, "peak_mb": round(_rss_mb() - before, 1)}


def _naive_loop(account, pause: float) -> None:
    """The spec's send_campaign_direct shape, with the retry it lacks: send each message as
    fast as the API answers; on a 429 sleep `pause` and try the same message again."""
    from campaigns.content import mime as messages
    from campaigns.models import MessageLog
    from campaigns.outbox import sending

    session = requests.Session()
    url = f"{settings.GMAIL_API_BASE_URL}/gmail/v1/users/me/messages/send"
    queued = MessageLog.objects.filter(email_account=account, status=MessageLog.Status.QUEUED)
    for log in queued.select_related("lead__organization", "snapshot", "campaign").order_by(
        "created_at", "pk"
    ):
        sending.render_claimed(log, account)  # messages are written when their turn comes
        raw = messages.gmail_raw(sending.build_for(log, account))
        while True:
            response = session.post(
                url, json={"raw": raw}, headers={"Authorization": f"Bearer {account.access_token}"}
            )
            if response.status_code != 429:
                break
            time.sleep(pause)
        response.raise_for_status()
        log.status, log.sent_at = MessageLog.Status.SENT, timezone.now()
        log.provider_message_id = response.json()["id"]
        log.save()
    connection.close()


def peer(size: int, accounts: int) -> dict:
    """The naive loop, one thread per account (as one loop per launched campaign)."""
    standin, speedup, created = prepare(size, accounts)
    before = _rss_mb()
    started = time.perf_counter()
    threads = [
        threading.Thread(target=_naive_loop, args=(account, NAIVE_PAUSE / speedup))
        for account in created
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    result = measure(standin, speedup, seconds, "peer")
    return {**result, "peak_mb": round(_rss_mb() - before, 1)}


def ours_1(size: int) -> dict:
    return ours(size, accounts=1)


def peer_1(size: int) -> dict:
    return peer(size, accounts=1)


def ours_3(size: int) -> dict:
    return ours(size, accounts=3)


def peer_3(size: int) -> dict:
    return peer(size, accounts=3)
