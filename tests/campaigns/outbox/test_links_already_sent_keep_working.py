"""Links already in mailboxes keep working whatever the code's layout: open, click and
unsubscribe tokens are signed with the salts they were sent with ("campaigns.tracking",
"campaigns.unsubscribe"), written out here rather than read from the code, so moving or
renaming a module cannot change them unnoticed."""

from django.core import signing
from django.test import Client

from campaigns.models import MessageLog

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15"


def test_an_open_pixel_signed_as_sent_last_year_still_counts(message_a):
    MessageLog.objects.filter(pk=message_a.pk).update(status=MessageLog.Status.SENT)
    token = signing.Signer(salt="campaigns.tracking").sign(message_a.pk.hex)
    Client().get(f"/t/o/{token}.gif", HTTP_USER_AGENT=BROWSER)
    message_a.refresh_from_db()
    assert message_a.open_count == 1


def test_a_click_link_signed_as_sent_last_year_still_leads_to_its_url(message_a):
    MessageLog.objects.filter(pk=message_a.pk).update(
        status=MessageLog.Status.SENT, links=["https://agency.example/listing"]
    )
    token = signing.Signer(salt="campaigns.tracking").sign(f"{message_a.pk.hex}.0")
    response = Client().get(f"/t/c/{token}/", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "https://agency.example/listing"


def test_an_unsubscribe_link_signed_as_sent_last_year_still_unsubscribes(lead_a):
    token = signing.Signer(salt="campaigns.unsubscribe").sign(lead_a.pk.hex)
    assert Client().post(f"/u/{token}/").status_code == 200
    lead_a.refresh_from_db()
    assert lead_a.unsubscribed_at is not None
