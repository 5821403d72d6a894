"""The scale test's world, made and read through Django (set up by run.py first): one agency
with three Gmail accounts and four blasts to the same leads, launched at once, and when
the run has settled."""

import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.contrib.auth.models import User
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from bench.gmail_standin import QuotaStandIn
from campaigns.models import Campaign, CampaignStep, Dispatch, EmailAccount, MessageLog
from campaigns.outbox import claims
from crm.members import membership_create
from crm.models import Lead, Organization
from tests.scale.engines import ROOT

LEADS = 150
# Opted out before the launch (skipped when queued) and just after it (skipped if claimed).
OPTED_OUT_BEFORE = range(0, 3)
OPTED_OUT_AFTER = range(LEADS - 3, LEADS)
# Leads whose address Gmail refuses (400): their messages fail (if claimed before the cap).
REFUSED = range(5, LEADS, 25)
# Each account's daily cap, below what is launched on it: the rest waits for tomorrow.
DAILY_CAPS = {"a": 150, "b": 100, "c": 100}
# The blasts: who sends them, from which account.
BLASTS = {"n8n": "a", "direct": "a", "b": "b", "c": "c"}
# A message still `sending` this long after its claim is stranded, not in flight.
IN_FLIGHT_SECONDS = 30
STAFF, PASSWORD = "scale", "scale-test-password"
Status = MessageLog.Status


@dataclass
class Cast:
    accounts: dict[str, EmailAccount]
    campaigns: dict[str, Campaign]


def address(key: str) -> str:
    return f"agent-{key}@gmail.example"


def lead_address(number: int) -> str:
    return f"lead-{number}@example.com"


def prepare(standin: QuotaStandIn) -> Cast:
    """The agency, its staff member, its accounts (known to the stand-in), leads, blasts."""
    standin.reject_recipients = frozenset(map(lead_address, REFUSED))
    organization = Organization.objects.create(
        name="Scale Realty", slug="scale", postal_address="1 Main St, Springfield"
    )
    staff = User.objects.create_user(STAFF, "scale@example.com", PASSWORD, is_staff=True)
    membership_create(user=staff, organization=organization, role="owner")
    accounts = {}
    for key, cap in DAILY_CAPS.items():
        refresh, _ = standin.add_user(address(key), daily_cap=cap)
        accounts[key] = EmailAccount.objects.create(
            organization=organization,
            user=staff,
            email_address=address(key),
            display_name=f"Agent {key.upper()}",
            refresh_token=refresh,  # the first send of each process refreshes it
            daily_limit=cap,
        )
    Lead.objects.bulk_create(
        Lead(
            organization=organization,
            name=f"Lead {number}",
            email=lead_address(number),
            unsubscribed_at=timezone.now() if number in OPTED_OUT_BEFORE else None,
        )
        for number in range(LEADS)
    )
    campaigns = {}
    for key, account in BLASTS.items():
        campaign = Campaign.objects.create(
            organization=organization, name=f"Blast {key}", email_account=accounts[account]
        )
        CampaignStep.objects.create(
            campaign=campaign,
            subject=f"{key}: news for {{{{ lead.name }}}}",
            body_template="<p>Hello {{ lead.name }}, three new listings this week.</p>",
        )
        campaigns[key] = campaign
    return Cast(accounts, campaigns)


def _admin_session(web: str) -> requests.Session:
    """The staff member logged in to the admin, as a browser would be."""
    session = requests.Session()
    login = f"{web}/admin/login/?next=/admin/"
    session.get(login, timeout=30)
    form = {"username": STAFF, "password": PASSWORD}
    session.post(login, {**form, "csrfmiddlewaretoken": session.cookies["csrftoken"]}, timeout=30)
    return session


def _launcher(env: dict[str, str], campaign: Campaign) -> subprocess.Popen:
    """A Django process that runs `launch_campaign` for the campaign when it reads a line:
    it starts up first, so that every launch can go at the same moment."""
    code = (
        "import sys, django; django.setup(); print('ready', flush=True); sys.stdin.readline(); "
        "from django.core.management import call_command; "
        f"call_command('launch_campaign', '{campaign.pk}')"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _await_ready(launcher: subprocess.Popen) -> None:
    said = []
    for line in iter(launcher.stdout.readline, ""):
        if line.strip() == "ready":
            return
        said.append(line)
    raise RuntimeError("a launcher stopped before it was ready:\n" + "".join(said))


def launch_together(cast: Cast, web: str, env: dict[str, str]) -> float:
    """The n8n blast through the admin's launch page (gunicorn, configured for n8n), the
    three others by `manage.py launch_campaign` with n8n not configured (the direct
    driver), all at the same moment; returns that moment (time.monotonic)."""
    session = _admin_session(web)
    launch = web + reverse("admin:campaigns_campaign_launch", args=[cast.campaigns["n8n"].pk])
    session.get(launch, timeout=30)
    direct_env = {**env, "N8N_BASE_URL": ""}
    launchers = {
        key: _launcher(direct_env, campaign)
        for key, campaign in cast.campaigns.items()
        if key != "n8n"
    }
    answers: dict[str, str] = {}

    def through_admin() -> None:
        token = session.cookies["csrftoken"]
        answers["n8n"] = session.post(launch, {"csrfmiddlewaretoken": token}, timeout=60).text

    try:
        for launcher in launchers.values():
            _await_ready(launcher)
        admin = threading.Thread(target=through_admin)
        started = time.monotonic()
        admin.start()
        for launcher in launchers.values():
            launcher.stdin.write("\n")
            launcher.stdin.flush()
        for key, launcher in launchers.items():
            answers[key] = launcher.communicate(timeout=120)[0]
        admin.join()
    finally:
        for launcher in launchers.values():
            launcher.kill()
    _check_launched(cast, answers)
    return started


def _check_launched(cast: Cast, answers: dict[str, str]) -> None:
    if "messages queued" not in answers.get("n8n", ""):
        raise RuntimeError(f"the admin's launch did not queue:\n{answers.get('n8n', '')[:2000]}")
    for key in BLASTS:
        if key != "n8n" and "Direct" not in answers.get(key, ""):
            raise RuntimeError(f"launch_campaign for blast {key} failed:\n{answers.get(key)}")
    drivers = dict(Dispatch.objects.values_list("campaign__name", "driver"))
    expected = {f"Blast {key}": "n8n" if key == "n8n" else "direct" for key in BLASTS}
    if drivers != expected:
        raise RuntimeError(f"dispatches: {drivers}, expected {expected}")


def opt_out_late_leads() -> int:
    """Leads who opt out once their messages are queued: skipped when claimed."""
    addresses = [lead_address(number) for number in OPTED_OUT_AFTER]
    return Lead.objects.filter(email__in=addresses).update(unsubscribed_at=timezone.now())


def at_cap(account: EmailAccount) -> bool:
    return claims.sent_in_last_day(account) >= account.daily_limit


def settled(cast: Cast) -> bool:
    """Nothing more can happen today: every audience is queued, no claim is in flight, and
    what is still queued waits for an account that reached its daily cap."""
    if Dispatch.objects.filter(queuing=True).exists():
        return False
    recent = timezone.now() - timedelta(seconds=IN_FLIGHT_SECONDS)
    if MessageLog.objects.filter(status=Status.SENDING, claimed_at__gte=recent).exists():
        return False
    for account in cast.accounts.values():
        waiting = MessageLog.objects.filter(email_account=account, status=Status.QUEUED)
        if waiting.exists() and not at_cap(account):
            return False
    return True


def counts() -> dict[str, int]:
    """How many messages are in each status now (for the progress line)."""
    by_status = MessageLog.objects.order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in by_status}
