"""The API n8n calls, as n8n calls it: an n8n dispatch of a campaign, and signed POSTs."""

import json
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.launching import blasts
from campaigns.models import Dispatch
from campaigns.n8n import signing
from crm.models import Lead

LOG_URL, STATUS_URL = "/api/campaigns/log-message/", "/api/campaigns/status/"
TICK_URL, CHECK_REPLIES_URL = "/api/campaigns/tick/", "/api/campaigns/check-replies/"


@pytest.fixture
def n8n_secret(settings):
    settings.N8N_WEBHOOK_SECRET = ["shared-secret"]
    settings.N8N_SIGNATURE_TOLERANCE_SECONDS = 300
    settings.N8N_BASE_URL = ""
    settings.N8N_NOTIFY_BACKOFF_SECONDS = 0.01
    settings.GMAIL_QUOTA_UNITS_PER_MINUTE = 100_000_000  # pacing has its own tests


def n8n_dispatch(campaign, count=3):
    """Launch the campaign to `count` new leads, as a dispatch that n8n sends."""
    for n in range(count):
        Lead.objects.create(
            organization=campaign.organization,
            name=f"L{n}",
            email=f"l{n}-{campaign.pk.hex[:6]}@example.com",
        )
    launched = blasts.campaign_launch(campaign=campaign)
    Dispatch.objects.filter(pk=launched.pk).update(driver=Dispatch.Driver.N8N)
    launched.refresh_from_db()
    return launched


def claim_url(launched) -> str:
    return reverse("api_dispatch_claim", args=[launched.pk])


def token_url(launched) -> str:
    return reverse("api_dispatch_token", args=[launched.pk])


def signed_call(url, payload=None, *, raw=None, header=None, request_id=None):
    """POST like n8n: signed over the method, the path and the body, with a new request id
    unless one is given. header="none" sends no signature; any other header is sent as is."""
    body = raw if raw is not None else json.dumps({} if payload is None else payload).encode()
    headers = {}
    if header != "none":
        path = urlsplit(url).path
        headers["X-Signature"] = header or signing.sign(body, path=path, request_id=request_id)
    return Client().post(url, body, content_type="application/json", headers=headers)


def report(message, status="sent", **extra):
    """A log-message report for a claimed message, as the workflow sends it."""
    return {
        "campaign_id": message["campaign_id"],
        "lead_id": message["lead_id"],
        "message_log_id": message["message_log_id"],
        "status": status,
        "provider_message_id": "gmail-1",
        "sent_at": "2026-11-24T10:00:00Z",
        **extra,
    }
