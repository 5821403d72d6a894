"""Pause, resume, make primary, connect and reconnect: a GET (a link from anywhere) shows a
confirmation and changes nothing; the page's POST acts, and only with the CSRF token."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.accounts.oauth import SESSION_KEY
from campaigns.models import Campaign


def pause_url(campaign: Campaign) -> str:
    return reverse("admin:campaigns_campaign_pause", args=[campaign.pk])


@pytest.fixture
def running(campaign_a, message_a) -> Campaign:
    """A blast sending: one message still waits."""
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.ACTIVE)
    return campaign_a


def test_a_get_to_pause_asks_and_the_post_pauses(client_a, running):
    page = client_a.get(pause_url(running))
    assert page.status_code == 200
    assert 'id="confirm-form"' in page.content.decode()
    assert "csrfmiddlewaretoken" in page.content.decode()
    running.refresh_from_db()
    assert running.status == Campaign.Status.ACTIVE
    response = client_a.post(pause_url(running))
    assert response.status_code == 302
    running.refresh_from_db()
    assert running.status == Campaign.Status.PAUSED


def test_a_get_to_resume_asks_and_the_post_resumes(client_a, campaign_a):
    Campaign.objects.filter(pk=campaign_a.pk).update(
        status=Campaign.Status.PAUSED, paused_at=timezone.now()
    )
    url = reverse("admin:campaigns_campaign_resume", args=[campaign_a.pk])
    assert client_a.get(url).status_code == 200
    campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.PAUSED
    client_a.post(url)
    campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.ACTIVE


def test_a_post_without_the_csrf_token_changes_nothing(staff_a, running, account_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_a)
    make_primary = reverse("admin:campaigns_emailaccount_make_primary", args=[account_a.pk])
    assert client.post(pause_url(running)).status_code == 403
    assert client.post(make_primary).status_code == 403
    running.refresh_from_db()
    account_a.refresh_from_db()
    assert running.status == Campaign.Status.ACTIVE and not account_a.is_primary


def test_another_organizations_campaign_cannot_be_paused(client_b, running):
    assert client_b.post(pause_url(running)).status_code in (403, 404)
    running.refresh_from_db()
    assert running.status == Campaign.Status.ACTIVE


def test_a_get_to_connect_or_reconnect_leaves_the_session_alone(
    client_a, org_a, account_a, settings
):
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "client-id", "client-secret"
    connect = reverse("admin:campaigns_emailaccount_connect_gmail")
    reconnect = reverse("admin:campaigns_emailaccount_reconnect", args=[account_a.pk])
    for url in (connect, f"{connect}?organization={org_a.pk}", reconnect):
        assert client_a.get(url).status_code == 200
        assert SESSION_KEY not in client_a.session
    assert client_a.post(reconnect).status_code == 302
    assert SESSION_KEY in client_a.session
