"""In development (DEBUG, PUBLIC_BASE_URL not set), the OAuth redirect and the links in
emails follow the address the server actually runs on, also in the sender's process. In
production they are PUBLIC_BASE_URL whatever the Host header says."""

import subprocess
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.content import public_address
from campaigns.outbox import claims, sending
from tests.test_settings import manage

CONNECT = reverse("admin:campaigns_emailaccount_connect_gmail")
PORT_8101 = "127.0.0.1:8101"


@pytest.fixture
def development(settings):
    # The test settings run with DEBUG on but pytest-django turns it off: turn it back on.
    settings.DEBUG = True
    settings.PUBLIC_BASE_URL_FROM_REQUEST = True
    yield
    public_address._seen_file().unlink(missing_ok=True)


def client_on(host: str, user) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def redirect_uri_of(response) -> str:
    return parse_qs(urlparse(response["Location"]).query)["redirect_uri"][0]


def test_the_oauth_redirect_follows_the_development_server(development, staff_a, org_a, google):
    response = client_on(PORT_8101, staff_a).post(CONNECT, {"organization": org_a.pk})
    assert redirect_uri_of(response) == f"http://{PORT_8101}/email/oauth/callback/"


def test_emails_queued_and_sent_link_to_the_development_server(
    development, staff_a, campaign_a, lead_a
):
    client = client_on(PORT_8101, staff_a)
    client.post(reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk]))
    # The sender is another process, serving no request: it uses the address last served.
    (log,) = claims.claim_for_account(campaign_a.email_account).messages
    assert f"http://{PORT_8101}/u/" in log.body_html
    built = sending.build_for(log, campaign_a.email_account).decode()
    assert f"List-Unsubscribe: <http://{PORT_8101}/u/" in built


def test_in_production_the_host_header_never_reaches_an_email(
    settings, staff_a, org_a, campaign_a, lead_a, google
):
    settings.DEBUG = False
    settings.PUBLIC_BASE_URL_FROM_REQUEST = True  # even so: production ignores the request
    settings.ALLOWED_HOSTS = ["evil.example"]
    client = client_on("evil.example", staff_a)
    response = client.post(CONNECT, {"organization": org_a.pk}, secure=True)
    assert redirect_uri_of(response) == "http://127.0.0.1:8000/email/oauth/callback/"
    client.post(reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk]), secure=True)
    body = claims.claim_for_account(campaign_a.email_account).messages[0].body_html
    assert "evil.example" not in body and "http://127.0.0.1:8000/u/" in body
    assert not public_address._seen_file().exists()


def test_a_public_base_url_set_in_development_is_kept(settings, staff_a, org_a, google):
    settings.DEBUG = True
    settings.PUBLIC_BASE_URL_FROM_REQUEST = False
    settings.PUBLIC_BASE_URL = "https://tunnel.example"
    response = client_on(PORT_8101, staff_a).post(CONNECT, {"organization": org_a.pk})
    assert redirect_uri_of(response) == "https://tunnel.example/email/oauth/callback/"


def test_only_development_without_public_base_url_follows_requests(tmp_path):
    def follows(**env: str) -> str:
        ran: subprocess.CompletedProcess = manage(
            "shell",
            "-c",
            "from django.conf import settings; print(settings.PUBLIC_BASE_URL_FROM_REQUEST)",
            VAR_DIR=str(tmp_path),
            **env,
        )
        return ran.stdout.strip().splitlines()[-1]

    assert follows(DJANGO_DEBUG="1") == "True"
    assert follows(DJANGO_DEBUG="1", PUBLIC_BASE_URL="http://127.0.0.1:8000") == "False"
