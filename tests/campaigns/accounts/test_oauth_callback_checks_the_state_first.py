"""The OAuth callback checks the state before it uses up the pending connection (issue 24
§4): a link from another site to `/email/oauth/callback/?error=access_denied` cannot know
the state, so it changes nothing, and Google's own answer still connects the account."""

from urllib.parse import urlparse

import pytest

from campaigns.accounts import oauth
from campaigns.models import EmailAccount
from tests.campaigns.accounts.test_gmail_connect import callback, consent

CALLBACK = "/email/oauth/callback/"


@pytest.mark.parametrize(
    "forged",
    [{"error": "access_denied"}, {"error": "access_denied", "state": "forged"}, {"code": "x"}],
)
def test_a_cross_site_callback_leaves_the_pending_connection(client_a, org_a, google, forged):
    googles_answer = consent(client_a, google)
    pending = client_a.session[oauth.SESSION_KEY]
    response = client_a.get(CALLBACK, forged, follow=True)
    assert [str(m) for m in response.context["messages"]] == [oauth.STATE_MISMATCH]
    assert client_a.session[oauth.SESSION_KEY] == pending
    _, notes = callback(client_a, googles_answer)
    assert notes == [f"Connected {google.email}. A test email was sent to that address."]
    assert EmailAccount.objects.filter(organization=org_a).count() == 1
    assert oauth.SESSION_KEY not in client_a.session


def test_googles_own_refusal_with_the_state_ends_the_pending_connection(client_a, google):
    google.deny = True
    answer = consent(client_a, google)
    assert "state=" in urlparse(answer).query
    _, notes = callback(client_a, answer)
    assert notes == [oauth.DENIED]
    assert oauth.SESSION_KEY not in client_a.session
    assert not EmailAccount.objects.exists()
