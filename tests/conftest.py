"""The shared cast: two agencies, a staff member of each, a superuser, and their leads."""

import datetime
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from crm.models import Lead, Membership, Organization, Property


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
    Membership.objects.create(user=user, organization=organization, role=role)
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
def google(settings, monkeypatch):
    """Google's OAuth and Gmail endpoints, served by a local stand-in on 127.0.0.1."""
    from tests import google_standin

    state, server = google_standin.start()
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
    yield state
    server.shutdown()
    server.server_close()
    assert state.problems == [], state.problems


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
    from campaigns import sequences

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
