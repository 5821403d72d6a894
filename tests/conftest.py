"""The shared cast: two agencies, a staff member of each, a superuser, and their leads;
and Debian's Chromium for the browser tests."""

import datetime
import os
import subprocess
import sys
import time
import zoneinfo
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from playwright.sync_api import sync_playwright

from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from crm.members import membership_create
from crm.models import Lead, Organization, Property
from tests import google_standin

# The fault tests run apart, without pytest-django (make test-faults).
collect_ignore = ["faults"]


@pytest.fixture
def dns_zone(settings):
    """A DNS server on loopback answering TXT questions from `zone.records`; the domain
    check asks it (settings.DNS_RESOLVERS), never the internet."""
    from tests import dns_standin

    zone = dns_standin.Zone()
    server = dns_standin.start(zone)
    settings.DNS_RESOLVERS = [f"127.0.0.1:{server.server.server_address[1]}"]
    settings.DNS_TIMEOUT_SECONDS = 1.0
    yield zone
    server.stop()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache (the campaign page keeps a plan for 30 s)."""
    cache.clear()


@pytest.fixture
def fresh_rate_limits(db):
    """The rate limits' counts (a table of the database's, which a transactional test's
    flush leaves) start from nothing, and are left so."""
    from django.core.cache import caches

    caches[settings.RATELIMIT_USE_CACHE].clear()
    yield
    caches[settings.RATELIMIT_USE_CACHE].clear()


@pytest.fixture
def org_a(db) -> Organization:
    return Organization.objects.create(
        name="Sunset Realty",
        slug="sunset",
        timezone="America/Los_Angeles",
        postal_address="1200 Sunset Blvd, Los Angeles",
    )


@pytest.fixture
def org_b(db) -> Organization:
    return Organization.objects.create(
        name="Harbor Homes",
        slug="harbor",
        timezone="Europe/Paris",
        postal_address="1 Quai de la Tournelle, Paris",
    )


def make_staff(username: str, organization: Organization, role: str = "owner") -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    membership_create(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def staff_a(org_a) -> User:
    return make_staff("alice", org_a)


@pytest.fixture
def staff_b(org_b) -> User:
    return make_staff("bob", org_b)


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_a(staff_a) -> Client:
    return logged_in(staff_a)


@pytest.fixture
def client_b(staff_b) -> Client:
    return logged_in(staff_b)


@pytest.fixture
def admin_client_root(superuser) -> Client:
    return logged_in(superuser)


@pytest.fixture
def property_a(org_a) -> Property:
    return Property.objects.create(organization=org_a, title="Arts District loft", city="LA")


@pytest.fixture
def property_b(org_b) -> Property:
    return Property.objects.create(organization=org_b, title="Marais flat", city="Paris")


@pytest.fixture
def lead_a(org_a) -> Lead:
    return Lead.objects.create(organization=org_a, name="Ana Souza", email="ana@example.com")


@pytest.fixture
def lead_b(org_b) -> Lead:
    return Lead.objects.create(organization=org_b, name="Bruno Petit", email="bruno@example.com")


@pytest.fixture
def account_a(org_a, staff_a) -> EmailAccount:
    return EmailAccount.objects.create(
        organization=org_a,
        user=staff_a,
        email_address="alice@sunset.example",
        display_name="Alice",
        refresh_token="refresh-secret-a",
        access_token="access-secret-a",
    )


@pytest.fixture
def account_b(org_b, staff_b) -> EmailAccount:
    return EmailAccount.objects.create(
        organization=org_b,
        user=staff_b,
        email_address="bob@harbor.example",
        display_name="Bob",
        refresh_token="refresh-secret-b",
    )


@pytest.fixture
def campaign_a(org_a, account_a) -> Campaign:
    campaign = Campaign.objects.create(organization=org_a, name="Spring A", email_account=account_a)
    CampaignStep.objects.create(
        campaign=campaign, order=1, subject="Hi A", body_template="<p>A</p>"
    )
    return campaign


@pytest.fixture
def campaign_b(org_b, account_b) -> Campaign:
    campaign = Campaign.objects.create(organization=org_b, name="Spring B", email_account=account_b)
    CampaignStep.objects.create(
        campaign=campaign, order=1, subject="Hi B", body_template="<p>B</p>"
    )
    return campaign


def make_sequence(organization: Organization, account: EmailAccount) -> Campaign:
    """A draft three-step sequence: day 0 welcome, day 3 follow-up, day 7 offer."""
    campaign = Campaign.objects.create(
        organization=organization,
        name="Nurture",
        type=Campaign.Type.SEQUENCE,
        email_account=account,
    )
    for order, day, subject in [(1, 0, "Welcome"), (2, 3, "Follow-up"), (3, 7, "Offer")]:
        CampaignStep.objects.create(
            campaign=campaign,
            order=order,
            offset_days=day,
            subject=subject,
            body_template=f"<p>{subject} {{{{ lead.name }}}}</p>",
        )
    return campaign


def launch_to_leads(campaign: Campaign, count: int) -> Campaign:
    """The blast launched (through the real service) to `count` new leads of its agency."""
    from campaigns.launching import blasts as dispatch

    for n in range(count):
        Lead.objects.create(
            organization=campaign.organization, name=f"Lead {n}", email=f"lead{n}@example.com"
        )
    dispatch.campaign_launch(campaign=campaign)
    return campaign


@pytest.fixture
def launched_blast(campaign_a) -> Campaign:
    """Spring A, launched to three leads: three messages queued."""
    return launch_to_leads(campaign_a, 3)


@pytest.fixture
def message_a(campaign_a, lead_a) -> MessageLog:
    return MessageLog.objects.create(
        organization=campaign_a.organization,
        campaign=campaign_a,
        campaign_step=campaign_a.steps.first(),
        lead=lead_a,
        to_email=lead_a.email,
        subject="Hi A",
    )


@pytest.fixture
def message_b(campaign_b, lead_b) -> MessageLog:
    return MessageLog.objects.create(
        organization=campaign_b.organization,
        campaign=campaign_b,
        campaign_step=campaign_b.steps.first(),
        lead=lead_b,
        to_email=lead_b.email,
        subject="Hi B",
    )


@pytest.fixture
def sender_running(db) -> None:
    """The direct sender has just gone round its loop (its heartbeat is fresh)."""
    from campaigns.reporting import sender_health

    sender_health.Heartbeat().beat()


@pytest.fixture
def google(settings, monkeypatch):
    """Google's OAuth and Gmail endpoints, served by a local stand-in on 127.0.0.1."""
    state, server = google_standin.start()
    use_google_standin(state, settings, monkeypatch)
    yield state
    server.shutdown()
    server.server_close()
    assert state.problems == [], state.problems


def use_google_standin(state, settings, monkeypatch) -> None:
    """Django's settings pointed at the stand-in, as the `google` fixture does."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the stand-in speaks http
    settings.GOOGLE_CLIENT_ID = google_standin.CLIENT_ID
    settings.GOOGLE_CLIENT_SECRET = google_standin.CLIENT_SECRET
    settings.GOOGLE_AUTH_URI = f"{state.base_url}/auth"
    settings.GOOGLE_TOKEN_URI = f"{state.base_url}/token"
    settings.GOOGLE_REVOKE_URI = f"{state.base_url}/revoke"
    settings.GOOGLE_USERINFO_URI = f"{state.base_url}/userinfo"
    settings.GMAIL_API_BASE_URL = state.base_url
    settings.GMAIL_BACKOFF_BASE_SECONDS = 0.01
    settings.GMAIL_TIMEOUT_SECONDS = 2
    settings.GMAIL_QUOTA_UNITS_PER_MINUTE = 100_000_000  # no pacing pauses in tests


@pytest.fixture
def gmail_account(org_a, staff_a, google):
    """A connected Gmail account of org A whose tokens the stand-in knows."""
    from datetime import timedelta

    from django.utils import timezone

    return EmailAccount.objects.create(
        organization=org_a,
        user=staff_a,
        email_address="alice@gmail.example",
        display_name="Alice Agent",
        refresh_token=google.issue_refresh_token(),
        access_token=google.issue_access_token(),
        token_expires_at=timezone.now() + timedelta(hours=1),
        is_primary=True,
    )


def connect_gmail(google, user: User, organization: Organization, address: str, **fields):
    """A connected Gmail account of `user` in `organization`, whose tokens open its own
    mailbox in the stand-in (what it sends goes from `address`, in its own threads)."""
    from datetime import timedelta

    from django.utils import timezone

    scopes = fields.pop("scopes", None)
    return EmailAccount.objects.create(
        organization=organization,
        user=user,
        email_address=address,
        display_name=fields.pop("display_name", user.get_full_name() or user.username),
        refresh_token=google.issue_refresh_token(scopes, mailbox=address),
        access_token=google.issue_access_token(scopes, mailbox=address),
        token_expires_at=timezone.now() + timedelta(hours=1),
        **fields,
    )


def make_agent(username: str, organization: Organization, first: str, last: str) -> User:
    """A member of the agency with the agent role, and a name leads and imports know."""
    user = make_staff(username, organization, role="agent")
    User.objects.filter(pk=user.pk).update(first_name=first, last_name=last)
    user.refresh_from_db()
    return user


@pytest.fixture
def maria(org_a) -> User:
    return make_agent("maria", org_a, "Maria", "Lopez")


@pytest.fixture
def tom(org_a) -> User:
    return make_agent("tom", org_a, "Tom", "Baker")


ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The test database, for processes started by a test (a file SQLite, or PostgreSQL)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_sender(
    google, *options: str, quota_units: int = 100_000_000, **env_settings: object
) -> subprocess.Popen:
    """`manage.py send_queued --loop` in its own process, on the test database, sending to
    the Gmail stand-in under a quota of `quota_units` a minute; `env_settings` are more
    settings, as environment variables."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.base",
        "DJANGO_DEBUG": "1",  # development, as the tests run: unset means production
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(settings.VAR_DIR),  # the same development keys decrypt the tokens
        "GMAIL_API_BASE_URL": google.base_url,
        "GOOGLE_TOKEN_URI": f"{google.base_url}/token",
        "GMAIL_QUOTA_UNITS_PER_MINUTE": str(quota_units),
        **{name: str(value) for name, value in env_settings.items()},
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_queued", "--loop", "--idle-seconds", "0.2", *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(tmp_path):
    # Playwright's sync API runs an event loop; Django's ORM calls stay in this thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright's loop runs, the ORM calls of the test get connections of
            # their own: closed here, or PostgreSQL refuses to drop the test database at
            # the end of the run ("being accessed by other users").
            connections.close_all()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def campaign_page(campaign: Campaign, steps: list[dict] | None = None, **fields: object) -> dict:
    """The campaign page's form as a browser posts it: the campaign's own fields, then its
    steps (saved ones first, with their "id"; by default the steps it has)."""
    if steps is None:
        steps = saved_steps(campaign)
    data: dict = {
        "name": campaign.name,
        "type": campaign.type,
        "email_account": campaign.email_account_id or "",
        "audience": campaign.audience,
        "window_start": f"{campaign.window_start:%H:%M}",
        "window_end": f"{campaign.window_end:%H:%M}",
        "auto_reply_hold_days": campaign.auto_reply_hold_days,
        "steps-TOTAL_FORMS": len(steps),
        "steps-INITIAL_FORMS": sum(1 for step in steps if step.get("id")),
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
    }
    for flag in ("thread_follow_ups", "track_opens", "track_clicks", "send_on_weekends"):
        if getattr(campaign, flag):
            data[flag] = "on"
    for index, step in enumerate(steps):
        step = {"campaign": campaign.pk, "is_active": "on", "text_template": "", **step}
        data.update({f"steps-{index}-{key}": value for key, value in step.items() if value != ""})
    return {**data, **fields}


def saved_steps(campaign: Campaign) -> list[dict]:
    """The campaign's steps as its page shows them, to change and post back."""
    return [
        {
            "id": step.pk,
            "name": step.name,
            "order": step.order,
            "offset_days": step.offset_days,
            "subject": step.subject,
            "body_template": step.body_template,
            "text_template": step.text_template,
            "is_active": "on" if step.is_active else "",
        }
        for step in campaign.steps.order_by("order")
    ]


# Reply detection: a Gmail account that may read headers, and a sequence that sent through it.
MONDAY_10AM_LA = datetime.datetime(
    2026, 3, 2, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/Los_Angeles")
)


@pytest.fixture
def detecting(gmail_account, google):
    """The Gmail account of org A, opted in, with the metadata permission granted."""
    from tests.google_standin import METADATA_SCOPE

    scopes = f"{google.granted_scopes} {METADATA_SCOPE}"
    gmail_account.detect_replies = True
    gmail_account.granted_scopes = scopes
    gmail_account.access_token = google.issue_access_token(scopes)
    gmail_account.refresh_token = google.issue_refresh_token(scopes)
    gmail_account.save()
    return gmail_account


@pytest.fixture
def sent(campaign_a, lead_a, detecting):
    """A two-step sequence whose first step went out to Ana (and to Carl) through Gmail, on
    Monday 2 March 2026 at 10:00 in Los Angeles; the test runs at that time too."""
    from campaigns.sequences import schedule as sequences

    Lead.objects.create(organization=campaign_a.organization, name="Carl", email="carl@example.com")
    Campaign.objects.filter(pk=campaign_a.pk).update(
        email_account=detecting, type=Campaign.Type.SEQUENCE
    )
    CampaignStep.objects.create(
        campaign=campaign_a, order=2, offset_days=3, subject="Again", body_template="<p>2</p>"
    )
    campaign_a.refresh_from_db()
    with time_machine.travel(MONDAY_10AM_LA):
        sequences.sequence_activate(campaign=campaign_a)
        sequences.tick()
        call_command("send_queued", stdout=StringIO(), stderr=StringIO())
        yield MessageLog.objects.get(lead=lead_a)


# The send plan: campaigns on one account, each with its own audience (the leads of a city).
def city_campaign(
    account: EmailAccount, name: str, city: str, leads: int, sequence: bool = False
) -> Campaign:
    """A draft campaign of the account's agency whose audience is `leads` new leads in
    `city`: a one-step blast, or a sequence (make_sequence's three steps)."""
    organization = account.organization
    Lead.objects.bulk_create(
        Lead(
            organization=organization,
            name=f"{city} {n}",
            email=f"{city.lower()}{n}@example.com",
            city=city,
        )
        for n in range(leads)
    )
    if sequence:
        campaign = make_sequence(organization, account)
        Campaign.objects.filter(pk=campaign.pk).update(name=name, audience_filter={"city": city})
        campaign.refresh_from_db()
        return campaign
    campaign = Campaign.objects.create(
        organization=organization, name=name, email_account=account, audience_filter={"city": city}
    )
    CampaignStep.objects.create(
        campaign=campaign, order=1, subject=name, body_template=f"<p>{name}</p>"
    )
    return campaign


def two_blasts(account: EmailAccount, clock=None) -> tuple[Campaign, Campaign]:
    """Spring blast (60 leads) launched on the account, now capped at 40 a day, and Open
    house (30 leads): launched a minute later on time_machine's `clock`, else a draft."""
    from campaigns.launching import blasts as dispatch

    EmailAccount.objects.filter(pk=account.pk).update(daily_limit=40)
    spring = city_campaign(account, "Spring blast", "Pasadena", 60)
    open_house = city_campaign(account, "Open house", "Glendale", 30)
    dispatch.campaign_launch(campaign=spring)
    if clock is not None:
        clock.shift(datetime.timedelta(minutes=1))
        dispatch.campaign_launch(campaign=open_house)
    return spring, open_house


# A/B subject tests: a blast whose step has two subjects, launched to a simulated audience.
PERSON = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"
SCANNER = "Barracuda Sentinel (EE)"


@pytest.fixture
def sandbox_account(settings, tmp_path, account_a) -> EmailAccount:
    """Org A's account writing what it sends to files (no pacing): fast to send a lot."""
    settings.SANDBOX_OUTBOX_DIR = tmp_path / "outbox"
    EmailAccount.objects.filter(pk=account_a.pk).update(provider=EmailAccount.Provider.SANDBOX)
    account_a.refresh_from_db()
    return account_a


def ab_blast(campaign: Campaign, *, leads: int, share: int, subject_b: str = "B: {{ lead.name }}"):
    """The campaign's step gets a subject B, the test `share`% of `leads` new leads,
    measured on opens after 4 hours; launched through the real service (its dispatch)."""
    from campaigns.launching import blasts as dispatch

    Campaign.objects.filter(pk=campaign.pk).update(
        track_opens=True, ab_share=share, ab_wait_hours=4, ab_measure="opens"
    )
    campaign.refresh_from_db()
    CampaignStep.objects.filter(campaign=campaign).update(
        subject="A: {{ lead.name }}", subject_b=subject_b
    )
    Lead.objects.bulk_create(
        Lead(organization=campaign.organization, name=f"Lead {n}", email=f"ab{n}@example.com")
        for n in range(leads)
    )
    return dispatch.campaign_launch(campaign=campaign)


def send_all(account: EmailAccount) -> int:
    """The outbox drained as its drivers do: claims of up to 100 messages of the account,
    each sent and recorded; how many were sent."""
    from campaigns.outbox import claims as outbox

    sent = 0
    while claimed := outbox.claim(account, outbox.account_queue(account), 100).messages:
        sent += sum(outbox.send_one(message, account) == "sent" for message in claimed)
    return sent


def simulate_opens(campaign: Campaign, opened: dict[str, int]) -> None:
    """{variant: how many of its test messages a person opens}, through the open pixel over
    HTTP as a mail program fetches it, each recipient from an address of their own (the
    public pages are rate-limited per address). Each opened one is opened twice (unique
    opens count it once), and every test message is fetched by a mail scanner too (never
    counted)."""
    import re

    from campaigns.outbox import tracking_links

    for variant, count in opened.items():
        tested = MessageLog.objects.filter(campaign=campaign, variant=variant, ab_group="test")
        for index, message in enumerate(tested.select_related("campaign").order_by("pk")):
            # The pixel as the message carries it (tracking adds it to the HTML as sent).
            image = tracking_links.instrument("", message, "")
            pixel = re.search(r'src="https?://[^/"]+(/t/o/[^"]+)"', image).group(1)
            address = f"10.{index // 250 % 250}.{index % 250}.{'ABCD'.index(variant) + 1}"
            for user_agent in [SCANNER] + ([PERSON, PERSON] if index < count else []):
                fetched = Client().get(pixel, HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
                assert fetched.status_code == 200


# Listing alerts: an agency's campaign that listens for listings, and leads looking to buy.
ALERT_EMAIL = "<p>Hi {{ lead.first_name }},</p>{{ listing_card }}"


def make_listing_alerts(organization: Organization, account: EmailAccount, **fields) -> Campaign:
    """A listing alert campaign, turned on: new listings and drops of 5% or more, reviewed
    by staff, its send window open at every hour of every day, unless `fields` say
    otherwise."""
    from campaigns.listing_alerts import triggers as listing_alerts

    any_hour = {
        "window_start": datetime.time.min,
        "window_end": datetime.time.max,
        "send_on_weekends": True,
    }
    campaign = Campaign.objects.create(
        organization=organization,
        name="Listing alerts",
        type=Campaign.Type.LISTING_ALERT,
        email_account=account,
        **{**any_hour, **fields},
    )
    CampaignStep.objects.create(
        campaign=campaign,
        order=1,
        subject="{{ property.title }} in {{ property.city }}",
        body_template=ALERT_EMAIL,
    )
    listing_alerts.alerts_turn_on(campaign=campaign)
    return campaign


@pytest.fixture
def listing_alerts_a(org_a, account_a) -> Campaign:
    return make_listing_alerts(org_a, account_a)


def make_buyer(
    organization: Organization,
    name: str,
    city: str = "Pasadena",
    budget: tuple[int | None, int | None] = (800_000, 1_200_000),
    **fields,
) -> Lead:
    """A lead searching in `city` within `budget` (min, max)."""
    return Lead.objects.create(
        organization=organization,
        name=name,
        email=f"{name.lower().replace(' ', '.')}@example.com",
        city=city,
        budget_min=budget[0],
        budget_max=budget[1],
        **fields,
    )


def list_property(organization: Organization, user=None, **fields) -> Property:
    """A property added as staff add one (through the service that makes the alerts): by
    default 12 Oak St, Pasadena, at 1,000,000."""
    from campaigns.listing_alerts import triggers as listing_alerts

    values = {
        "title": "Craftsman bungalow",
        "address": "12 Oak St",
        "city": "Pasadena",
        "price": 1_000_000,
        "bedrooms": 3,
        "url": "https://agency.example/oak",
        "photo_url": "https://agency.example/oak.jpg",
        **fields,
    }
    item = Property(organization=organization, **values)
    listing_alerts.property_save(item=item, user=user)
    return item


def reprice(item: Property, price: int, user=None) -> list:
    """Save the property at a new price, as the admin does; the alerts it made."""
    from campaigns.listing_alerts import triggers as listing_alerts

    item = Property.objects.get(pk=item.pk)
    item.price = price
    return listing_alerts.property_save(item=item, user=user)


def insert_leads(organization: Organization, count: int) -> None:
    """`count` leads of the agency written by the database itself (fast at 100,000), of
    every status in turn and over forty cities, then the database's statistics taken: a
    table the planner sees as production's."""
    statuses = Lead.Status.values
    new_id = {
        "postgresql": "gen_random_uuid()",
        "sqlite": "lower(hex(randomblob(16)))",
    }[connection.vendor]
    status = "CASE i %% {} {} END".format(
        len(statuses), " ".join(f"WHEN {n} THEN '{s}'" for n, s in enumerate(statuses))
    )
    start = Lead.objects.count()
    agency = Lead._meta.get_field("organization").get_db_prep_value(organization.pk, connection)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE n(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM n WHERE i < %s) "
            "INSERT INTO crm_lead (id, organization_id, first_name, last_name, name, email, "
            "phone, city, status, source, custom, consent_basis, created_at, updated_at) "
            f"SELECT {new_id}, %s, 'Lead', '', 'Lead', 'lead' || i || '@example.com', '', "
            f"'City ' || (i %% 40), {status}, '', '{{}}', 'unknown', %s, %s FROM n",
            [start, start + count - 1, agency, now, now],
        )
        cursor.execute("ANALYZE")
