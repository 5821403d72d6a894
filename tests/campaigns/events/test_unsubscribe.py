"""Unsubscribe: GET confirms, POST (one-click, no cookies) unsubscribes, forged tokens fail."""

from django.test import Client
from django.urls import reverse, set_script_prefix

from campaigns.outbox import unsubscribe_links
from crm.models import Lead


def url(lead):
    return reverse("unsubscribe", args=[unsubscribe_links.token_for(lead)])


def test_a_get_shows_a_confirmation_and_changes_nothing(lead_a):
    page = Client().get(url(lead_a)).content.decode()
    assert "Stop receiving campaign emails from <strong>Sunset Realty</strong>?" in page
    lead_a.refresh_from_db()
    assert lead_a.unsubscribed_at is None


def test_a_one_click_post_without_cookies_unsubscribes_and_repeats_safely(lead_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url(lead_a), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    lead_a.refresh_from_db()
    first = lead_a.unsubscribed_at
    assert first is not None
    assert client.post(url(lead_a)).status_code == 200
    lead_a.refresh_from_db()
    assert lead_a.unsubscribed_at == first


def test_an_altered_token_is_404_and_changes_nothing(lead_a):
    token = unsubscribe_links.token_for(lead_a)
    response = Client().post(reverse("unsubscribe", args=[token[:-1] + "x"]))
    assert response.status_code == 404
    assert not Lead.objects.filter(unsubscribed_at__isnull=False).exists()


def test_the_token_holds_no_address(lead_a):
    assert "ana" not in unsubscribe_links.token_for(lead_a).lower()
    assert unsubscribe_links.url_for(lead_a).startswith("http://127.0.0.1:8000/u/")


def test_the_link_follows_the_public_address_and_the_script_prefix(lead_a, settings):
    token = unsubscribe_links.token_for(lead_a)
    settings.PUBLIC_BASE_URL = "https://mail.agency.example"
    assert unsubscribe_links.url_for(lead_a) == f"https://mail.agency.example/u/{token}/"
    set_script_prefix("/campaigns/")
    try:
        assert (
            unsubscribe_links.url_for(lead_a) == f"https://mail.agency.example/campaigns/u/{token}/"
        )
    finally:
        set_script_prefix("/")
    assert unsubscribe_links.url_for(lead_a) == f"https://mail.agency.example/u/{token}/"


def test_the_unsubscribe_counts_against_the_latest_message_sent_to_the_lead(
    lead_a, message_a, campaign_a
):
    import datetime

    from django.utils import timezone

    from campaigns.models import MessageLog

    Status = MessageLog.Status
    earlier = timezone.now() - datetime.timedelta(days=3)
    MessageLog.objects.filter(pk=message_a.pk).update(status=Status.SENT, sent_at=earlier)
    latest = MessageLog.objects.create(
        organization=lead_a.organization,
        campaign=campaign_a,
        lead=lead_a,
        to_email=lead_a.email,
        status=Status.OPENED,
        sent_at=timezone.now(),
    )
    test = MessageLog.objects.create(
        organization=lead_a.organization,
        campaign=campaign_a,
        lead=lead_a,
        to_email="staff@sunset.example",
        is_test=True,
        status=Status.SENT,
        sent_at=timezone.now() + datetime.timedelta(minutes=1),
    )
    Client().post(url(lead_a))
    Client().post(url(lead_a))  # a replay changes nothing more
    states = dict(MessageLog.objects.values_list("pk", "status"))
    assert states == {message_a.pk: Status.SENT, latest.pk: Status.UNSUBSCRIBED, test.pk: "sent"}
    assert MessageLog.objects.get(pk=latest.pk).unsubscribed_at is not None
