"""A test message's unsubscribe link opens the page but never unsubscribes the real lead."""

import email
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from campaigns.models import StepSnapshot
from campaigns.outbox import sending, unsubscribe_links
from crm.models import Lead, SuppressedAddress

TEST_NOTICE = "This link came in a test message"


@pytest.fixture
def step_a(campaign_a, gmail_account):
    campaign_a.email_account = gmail_account
    campaign_a.save()
    return campaign_a.steps.get()


def link_path(message) -> str:
    """The one-click URL of a parsed message's List-Unsubscribe header, as a local path."""
    header = " ".join(message["List-Unsubscribe"].split())
    url = re.match(r"<(http[^>]+)>", header).group(1)
    return url.replace("http://127.0.0.1:8000", "")


def one_click(path: str):
    return Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )


def assert_still_subscribed(lead):
    lead.refresh_from_db()
    assert lead.unsubscribed_at is None
    assert not SuppressedAddress.objects.exists()


def test_the_link_in_a_sent_test_shows_the_page_and_unsubscribes_nobody(
    client_a, step_a, lead_a, gmail_account, google
):
    url = reverse("admin:campaigns_campaignstep_preview", args=[step_a.pk])
    client_a.post(url, {"lead": lead_a.pk, "account": gmail_account.pk})
    [message] = google.sent
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link_path(message)
    body = message.get_body(("plain",)).get_content()
    assert f"http://127.0.0.1:8000{path}" in body  # the footer carries the same test link

    page = Client().get(path).content.decode()
    assert "Stop receiving campaign emails from <strong>Sunset Realty</strong>?" in page
    assert TEST_NOTICE in page
    response = one_click(path)
    assert response.status_code == 200
    assert "This was a test" in response.content.decode()
    assert_still_subscribed(lead_a)


def test_the_preview_shows_the_test_link_not_the_leads_own(client_a, step_a, lead_a):
    url = reverse("admin:campaigns_campaignstep_preview", args=[step_a.pk])
    page = client_a.get(url, {"lead": lead_a.pk}).content.decode()
    assert unsubscribe_links.url_for(lead_a, test=True) in page
    assert unsubscribe_links.url_for(lead_a) not in page


def test_a_test_token_cannot_be_read_as_the_leads_real_one(lead_a):
    test_token = unsubscribe_links.token_for(lead_a, test=True)
    with pytest.raises(signing.BadSignature):
        signing.Signer(salt=unsubscribe_links.SALT).unsign(test_token)
    assert test_token != unsubscribe_links.token_for(lead_a)
    one_click(reverse("unsubscribe", args=[test_token]))
    assert_still_subscribed(lead_a)


def test_the_link_in_a_real_message_still_unsubscribes(step_a, lead_a, gmail_account):
    log = sending.queued_message(
        snapshot=StepSnapshot.of(step_a), lead=lead_a, account=gmail_account
    )
    log.save()
    sending.render_claimed(log, gmail_account)
    message = email.message_from_bytes(sending.build_for(log, gmail_account))
    path = link_path(message)
    assert TEST_NOTICE not in Client().get(path).content.decode()
    one_click(path)
    assert Lead.objects.get(pk=lead_a.pk).unsubscribed_at is not None
    assert SuppressedAddress.objects.filter(email="ana@example.com").exists()
