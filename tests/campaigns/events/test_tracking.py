"""Opens and clicks: signed tokens, no open redirect, first events kept, scanners flagged."""

import base64
import datetime
import re
from email import message_from_bytes, policy

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.content.mime import gmail_raw
from campaigns.events import tracking
from campaigns.launching import blasts
from campaigns.models import Campaign, MessageLog
from campaigns.outbox import claims, sending, tracking_links

Status = MessageLog.Status
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15"


@pytest.fixture
def tracked(campaign_a, lead_a):
    Campaign.objects.filter(pk=campaign_a.pk).update(track_opens=True, track_clicks=True)
    campaign_a.refresh_from_db()
    step = campaign_a.steps.get()
    step.body_template = (
        '<p>See <a href="https://agency.example/listing?id=7&amp;ref=mail">the listing</a> and '
        '<a href="https://agency.example/visit">book a visit</a>.</p>'
    )
    step.save()
    blasts.campaign_launch(campaign=campaign_a)
    [message] = claims.claim_for_account(campaign_a.email_account).messages
    MessageLog.objects.filter(pk=message.pk).update(
        status=Status.SENT, sent_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    message.refresh_from_db()
    return message


def sent_html(message):
    data = sending.build_for(message, message.email_account)
    return message_from_bytes(data, policy=policy.default).get_body(("html",)).get_content()


def test_links_go_through_signed_tokens_and_the_pixel_is_added(tracked):
    assert tracked.links == [
        "https://agency.example/listing?id=7&ref=mail",
        "https://agency.example/visit",
    ]
    html = sent_html(tracked)
    assert "https://agency.example/listing" not in html
    assert html.count("/t/c/") == 2 and "/t/o/" in html
    assert "url=" not in html
    assert "/u/" in html  # the unsubscribe link stays as it is


def clicks(html):
    return re.findall(r'href="http://127\.0\.0\.1:8000(/t/c/[^"]+)"', html)


def test_a_click_redirects_to_the_link_of_that_message_and_is_counted(tracked):
    first = clicks(sent_html(tracked))[0]
    response = Client().get(first, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "https://agency.example/listing?id=7&ref=mail"
    Client().get(first, HTTP_USER_AGENT=BROWSER)  # once per link and window (issue 24)
    tracked.refresh_from_db()
    assert tracked.status == Status.CLICKED and tracked.click_count == 1
    assert tracked.clicked_at and tracked.opened_at  # a click implies an open
    first_click = tracked.clicked_at
    Client().get(first, HTTP_USER_AGENT=BROWSER)
    tracked.refresh_from_db()
    assert tracked.clicked_at == first_click


@pytest.mark.parametrize("tamper", ["flip-last", "drop-signature", "other-message"])
def test_a_tampered_click_token_is_404_never_a_redirect(tracked, tamper):
    token = clicks(sent_html(tracked))[0].removeprefix("/t/c/").removesuffix("/")
    if tamper == "flip-last":
        token = token[:-1] + ("B" if token[-1] == "A" else "A")
    elif tamper == "drop-signature":
        token = token.rpartition(":")[0]
    else:
        token = token.replace(tracked.pk.hex[:8], "0" * 8)
    response = Client().get(f"/t/c/{token}/")
    assert response.status_code == 404


def test_a_token_for_a_link_the_message_did_not_have_is_404(tracked):
    token = tracking_links._sign(f"{tracked.pk.hex}.9")
    assert Client().get(f"/t/c/{token}/").status_code == 404


def test_an_open_is_recorded_once_and_counted_after(tracked):
    pixel = re.search(r'src="http://127\.0\.0\.1:8000(/t/o/[^"]+)"', sent_html(tracked)).group(1)
    response = Client().get(pixel, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    first = MessageLog.objects.get(pk=tracked.pk).opened_at
    Client().get(pixel, HTTP_USER_AGENT=BROWSER)
    tracked.refresh_from_db()
    assert (tracked.status, tracked.open_count, tracked.opened_at) == (Status.OPENED, 2, first)


def test_an_invalid_pixel_token_still_returns_the_pixel_and_records_nothing(tracked):
    response = Client().get("/t/o/forged:token.gif")
    assert response.status_code == 200 and response.content == tracking.PIXEL
    tracked.refresh_from_db()
    assert tracked.open_count == 0 and tracked.opened_at is None


def test_link_scanners_and_instant_hits_are_flagged_not_counted(tracked):
    path = clicks(sent_html(tracked))[1]
    assert Client().get(path, HTTP_USER_AGENT="Mimecast Link Scanner").status_code == 302
    MessageLog.objects.filter(pk=tracked.pk).update(sent_at=timezone.now())
    Client().get(path, HTTP_USER_AGENT=BROWSER)  # seconds after sending: a prefetch
    tracked.refresh_from_db()
    assert (tracked.prefetch_count, tracked.click_count, tracked.clicked_at) == (2, 0, None)


def test_a_campaign_without_tracking_sends_links_untouched(campaign_a, lead_a):
    launched = blasts.campaign_launch(campaign=campaign_a)
    message = MessageLog.objects.get(dispatch=launched)
    html = sent_html(message)
    assert "/t/c/" not in html and "/t/o/" not in html and message.links == []


def test_the_raw_sent_to_gmail_carries_the_tracking(tracked):
    raw = base64.urlsafe_b64decode(gmail_raw(sending.build_for(tracked, tracked.email_account)))
    assert b"/t/o/" in raw
