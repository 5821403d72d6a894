"""Connect Gmail explains first: with no Google client configured, it says what to set
(the client id and secret, and the redirect URI to register) instead of sending staff to
Google with an empty client_id."""

import pytest
from django.urls import reverse

from campaigns.accounts.oauth import SESSION_KEY

CONNECT = reverse("admin:campaigns_emailaccount_connect_gmail")


@pytest.fixture
def no_google_client(settings):
    settings.GOOGLE_CLIENT_ID = settings.GOOGLE_CLIENT_SECRET = ""


def test_connect_says_what_to_set_up_instead_of_going_to_google(client_a, org_a, no_google_client):
    for response in (client_a.get(CONNECT), client_a.post(CONNECT, {"organization": org_a.pk})):
        html = response.content.decode()
        assert response.status_code == 200 and 'id="google-setup"' in html
        assert "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are not set" in html
        assert 'id="redirect-uri">http://127.0.0.1:8000/email/oauth/callback/<' in html
        assert "Web application" in html
    assert SESSION_KEY not in client_a.session


def test_reconnect_explains_the_same(client_a, account_a, no_google_client):
    url = reverse("admin:campaigns_emailaccount_reconnect", args=[account_a.pk])
    response = client_a.post(url)
    assert response.status_code == 200 and 'id="google-setup"' in response.content.decode()
    assert SESSION_KEY not in client_a.session


def test_a_missing_secret_alone_is_named(client_a, settings):
    settings.GOOGLE_CLIENT_ID, settings.GOOGLE_CLIENT_SECRET = "client-id", ""
    html = client_a.get(CONNECT).content.decode()
    assert "(GOOGLE_CLIENT_SECRET is not set)" in html


def test_with_a_client_configured_connect_goes_to_google(client_a, org_a, google):
    response = client_a.post(CONNECT, {"organization": org_a.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{google.base_url}/auth?")
    assert "client_id=test-client-id.apps.example" in response["Location"]
