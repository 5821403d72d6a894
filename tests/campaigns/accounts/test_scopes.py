"""With reply detection off (the default), the project asks Google for gmail.send and the
sign-in scopes only, never the restricted gmail.metadata, and everything that sends
works with that grant: the connection's test email, a campaign, its one-click header."""

from io import StringIO
from urllib.parse import parse_qs, urlparse

from django.core.management import call_command

from campaigns.launching import blasts
from campaigns.models import Campaign, EmailAccount
from tests.campaigns.accounts.test_gmail_connect import CONNECT, callback, consent
from tests.google_standin import METADATA_SCOPE, SEND_SCOPE


def test_sending_works_with_gmail_send_alone(client_a, org_a, campaign_a, lead_a, google):
    response = client_a.post(CONNECT, {"organization": org_a.pk})
    asked = parse_qs(urlparse(response["Location"]).query)["scope"][0].split()
    assert SEND_SCOPE in asked and METADATA_SCOPE not in asked
    assert not any("readonly" in scope or "modify" in scope for scope in asked)
    callback(client_a, consent(client_a, google))  # Google grants what was asked
    account = EmailAccount.objects.get(organization=org_a, email_address=google.email)
    assert METADATA_SCOPE not in account.granted_scopes and not account.detect_replies
    assert len(google.sent) == 1  # the connection's test email went out
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=account)
    campaign_a.refresh_from_db()
    blasts.campaign_launch(campaign=campaign_a)
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())
    sent = google.sent[-1]
    assert sent["To"].addresses[0].addr_spec == "ana@example.com"
    assert "mailto:" not in sent["List-Unsubscribe"]
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not google.problems and not google.reads  # nothing of the mailbox was read
