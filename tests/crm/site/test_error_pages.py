"""Every 403 and 404 is a styled page: in the admin's look (sidebar and all) for staff on
admin addresses, a plain page for someone following a link from an email. A form sent
without a valid CSRF token says it expired. (Tests run with DEBUG off, as production.)"""

from django.contrib.auth.models import User
from django.test import Client

from crm.site.error_pages import EXPIRED, FORBIDDEN, GONE_LINK, NOT_FOUND
from tests.conftest import logged_in


def test_a_missing_admin_page_is_the_admins_own_404(client_a):
    response = client_a.get("/admin/campaigns/campaign/not-a-uuid/launch/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'id="error-page" data-status="404"' in html and str(NOT_FOUND) in html
    assert 'id="nav-sidebar' in html  # the admin around it: staff can go on from here
    assert "Go to the home page" in html


def test_another_organizations_campaign_is_a_styled_404(client_b, campaign_a):
    response = client_b.get(f"/admin/campaigns/campaign/{campaign_a.pk}/launch/")
    assert response.status_code == 404
    assert 'data-status="404"' in response.content.decode()


def test_an_admin_page_that_staff_may_not_open_is_a_styled_403(db):
    outsider = User.objects.create_user("eve", "eve@example.com", "pw", is_staff=True)
    response = logged_in(outsider).get("/admin/crm/lead/")
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-status="403"' in html and str(FORBIDDEN) in html and "403 Forbidden" not in html


def test_a_link_from_an_email_that_leads_nowhere_is_a_plain_404(client, db):
    response = client.get("/t/c/not-a-token/")  # (the hit is counted: the database's cache)
    html = response.content.decode()
    assert response.status_code == 404
    assert str(GONE_LINK) in html and "nav-sidebar" not in html


def test_a_link_that_leads_nowhere_answers_in_the_browsers_language(client, db):
    html = client.get("/t/c/not-a-token/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert '<html lang="fr">' in html
    assert "Ce lien ne mène nulle part" in html and str(GONE_LINK) not in html


def test_a_form_without_its_csrf_token_says_it_expired(staff_a, campaign_a, message_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_a)
    response = client.post(f"/admin/campaigns/campaign/{campaign_a.pk}/pause/")
    html = response.content.decode()
    assert response.status_code == 403
    assert str(EXPIRED) in html and 'data-status="403"' in html
    assert "CSRF verification failed" not in html


def test_a_login_form_left_open_too_long_says_it_expired_and_offers_to_sign_in(db):
    response = Client(enforce_csrf_checks=True).post(
        "/admin/login/", {"username": "alice", "password": "pw"}
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert str(EXPIRED) in html and "Sign in" in html and "nav-sidebar" not in html
