"""Connecting Gmail: the whole OAuth flow against the local Google stand-in."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.db import connection
from django.urls import reverse

from campaigns.accounts import oauth
from campaigns.models import EmailAccount

CONNECT = reverse("admin:campaigns_emailaccount_connect_gmail")


def consent(client, google):
    """Staff click Connect Gmail, then the page's button for their (only) organization;
    Google asks, and sends them back: the callback's URL."""
    page = client.get(CONNECT)
    [organization] = page.context["organizations"]
    response = client.post(CONNECT, {"organization": organization.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(google.base_url + "/auth?")
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    return back.headers["Location"]


def callback(client, url):
    parsed = urlparse(url)
    response = client.get(parsed.path, parse_qs(parsed.query), follow=True)
    return response, [str(message) for message in response.context["messages"]]


def test_connecting_stores_the_account_encrypted_and_sends_a_test(client_a, org_a, google):
    response, notes = callback(client_a, consent(client_a, google))
    account = EmailAccount.objects.get(organization=org_a)
    assert notes == [f"Connected {google.email}. A test email was sent to that address."]
    assert response.redirect_chain[-1][0] == reverse("admin:campaigns_emailaccount_changelist")
    assert (account.email_address, account.display_name) == (google.email, google.name)
    assert account.refresh_token in google.refresh_tokens
    assert account.is_primary and account.can_send
    with connection.cursor() as cursor:
        cursor.execute("SELECT refresh_token, access_token FROM campaigns_emailaccount")
        stored = cursor.fetchone()
    assert account.refresh_token not in stored[0] and account.access_token not in stored[1]
    assert [message["To"] for message in google.sent] == [google.email]
    assert google.sent[0]["Subject"] == "[Test] Your account is connected"


def test_the_redirect_asks_for_offline_access_consent_pkce_and_the_send_scope(
    client_a, org_a, google
):
    response = client_a.post(CONNECT, {"organization": org_a.pk})
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["code_challenge_method"] == ["S256"]
    assert "https://www.googleapis.com/auth/gmail.send" in query["scope"][0].split()
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/email/oauth/callback/"]


def test_reconnecting_the_same_address_updates_the_account(client_a, org_a, google):
    callback(client_a, consent(client_a, google))
    first = EmailAccount.objects.get()
    EmailAccount.objects.filter(pk=first.pk).update(needs_reconnect=True)
    _, notes = callback(client_a, consent(client_a, google))
    again = EmailAccount.objects.get()
    assert again.pk == first.pk and not again.needs_reconnect
    assert again.refresh_token != first.refresh_token
    assert notes[0].startswith("Reconnected")


def test_a_denied_consent_stores_nothing(client_a, google):
    google.deny = True
    _, notes = callback(client_a, consent(client_a, google))
    assert notes == [oauth.DENIED]
    assert not EmailAccount.objects.exists()


@pytest.mark.parametrize("tamper", ["missing", "wrong", "reused", "other-session"])
def test_a_bad_state_is_refused_and_stores_nothing(client_a, staff_b, google, tamper):
    from tests.conftest import logged_in

    url = consent(client_a, google)
    parsed = urlparse(url)
    params = parse_qs(parsed.query)
    client = client_a
    if tamper == "missing":
        del params["state"]
    elif tamper == "wrong":
        params["state"] = ["forged"]
    elif tamper == "reused":
        client_a.get(parsed.path, params)
        EmailAccount.objects.all().delete()
    else:
        client = logged_in(staff_b)
    response = client.get(parsed.path, params, follow=True)
    assert oauth.STATE_MISMATCH in [str(m) for m in response.context["messages"]]
    assert not EmailAccount.objects.exists()


def test_a_missing_refresh_token_is_a_clear_error(client_a, google):
    google.omit_refresh_token = True
    _, notes = callback(client_a, consent(client_a, google))
    assert notes == [oauth.NO_REFRESH_TOKEN]
    assert not EmailAccount.objects.exists()


def test_a_grant_without_the_send_scope_is_refused(client_a, google):
    google.granted_scopes = "openid email profile"
    _, notes = callback(client_a, consent(client_a, google))
    assert notes == [oauth.NO_SEND_SCOPE]


def test_a_google_error_on_the_code_exchange_is_reported(client_a, google):
    url = consent(client_a, google)
    google.codes.clear()  # the code expired
    _, notes = callback(client_a, url)
    assert notes == [oauth.GOOGLE_ERROR.format(reason="invalid_grant")]
    assert not EmailAccount.objects.exists()


def test_next_parameters_are_ignored(client_a, google):
    url = consent(client_a, google) + "&next=https://evil.example/"
    response, _ = callback(client_a, url)
    assert response.redirect_chain[-1][0] == reverse("admin:campaigns_emailaccount_changelist")


def test_the_callback_needs_a_logged_in_staff_member(client, google):
    response = client.get(reverse("gmail_oauth_callback"), {"code": "x", "state": "y"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_disconnecting_revokes_and_deactivates(client_a, gmail_account, campaign_a, google):
    campaign_a.email_account = gmail_account
    campaign_a.status = "active"
    campaign_a.save()
    refresh = gmail_account.refresh_token
    url = reverse("admin:campaigns_emailaccount_disconnect", args=[gmail_account.pk])
    assert "will be paused" in client_a.get(url).content.decode()
    client_a.post(url)
    gmail_account.refresh_from_db()
    campaign_a.refresh_from_db()
    assert refresh in google.revoked
    assert not gmail_account.is_active and gmail_account.refresh_token == ""
    assert campaign_a.status == "paused"


def test_staff_cannot_disconnect_another_organizations_account(client_b, gmail_account, google):
    url = reverse("admin:campaigns_emailaccount_disconnect", args=[gmail_account.pk])
    assert client_b.post(url).status_code == 404
    gmail_account.refresh_from_db()
    assert gmail_account.is_active


def test_make_primary_moves_the_flag(client_a, account_a, org_a, staff_a):
    other = EmailAccount.objects.create(
        organization=org_a,
        user=staff_a,
        email_address="second@sunset.example",
        display_name="Second",
        is_primary=False,
    )
    account_a.make_primary()
    url = reverse("admin:campaigns_emailaccount_make_primary", args=[other.pk])
    assert "Make primary" in client_a.get(url).content.decode()  # a GET only asks
    assert list(EmailAccount.objects.filter(is_primary=True)) == [account_a]
    client_a.post(url)
    assert list(EmailAccount.objects.filter(is_primary=True)) == [other]


def test_the_database_allows_one_primary_account_per_organization(account_a, org_a, staff_a):
    from django.db import IntegrityError, transaction

    account_a.make_primary()
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailAccount.objects.create(
            organization=org_a,
            user=staff_a,
            email_address="x@sunset.example",
            display_name="X",
            is_primary=True,
        )
