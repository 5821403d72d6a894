"""The admin speaks to each staff member in their language: the one they chose (Preferences,
or the user menu's switcher, which remembers it), else their browser's, else their
agency's; a visitor's sign-in page follows the browser."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from crm.models import StaffPreferences
from crm.site import languages
from tests.conftest import logged_in, make_staff

HOME = "/admin/"


def language_of(response) -> str:
    return response.headers["Content-Language"]


@pytest.fixture
def paris_agent(org_b):
    """An agent of the Paris agency (org_b), which writes in French."""
    org_b.language = "fr"
    org_b.save()
    return make_staff("camille", org_b, role="agent")


def test_a_staff_members_choice_wins_over_their_browser(paris_agent):
    StaffPreferences.objects.create(user=paris_agent, language="es")
    response = logged_in(paris_agent).get(HOME, headers={"accept-language": "fr,en;q=0.5"})
    assert language_of(response) == "es"
    assert "Cerrar sesión" in response.content.decode()  # Django's own "Log out", in Spanish


def test_without_a_choice_the_browsers_language_is_used(paris_agent):
    response = logged_in(paris_agent).get(HOME, headers={"accept-language": "en-GB,en;q=0.8"})
    assert language_of(response) == "en"


def test_a_browser_asking_for_no_language_of_ours_gets_the_agencys(paris_agent):
    response = logged_in(paris_agent).get(HOME, headers={"accept-language": "de-DE,de;q=0.9"})
    assert language_of(response) == "fr"
    response = logged_in(paris_agent).get(HOME)  # no Accept-Language at all
    assert language_of(response) == "fr"


def test_a_regional_variant_of_one_of_ours_counts_as_it(paris_agent):
    response = logged_in(paris_agent).get(HOME, headers={"accept-language": "es-MX"})
    assert language_of(response) == "es"


def test_the_switcher_sets_the_language_and_remembers_it_for_another_browser(paris_agent):
    client = logged_in(paris_agent)
    response = client.post(
        reverse("admin:language"),
        {"language": "es", "next": reverse("admin:crm_lead_changelist")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:crm_lead_changelist")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert StaffPreferences.objects.get(user=paris_agent).language == "es"
    another_browser = logged_in(paris_agent)
    assert language_of(another_browser.get(HOME, headers={"accept-language": "fr"})) == "es"


def test_the_switcher_ignores_a_language_we_do_not_speak(paris_agent):
    client = logged_in(paris_agent)
    client.post(reverse("admin:language"), {"language": "de", "next": HOME})
    assert not StaffPreferences.objects.filter(user=paris_agent).exists()


def test_the_switcher_is_in_the_user_menu_and_posts_to_ours(paris_agent):
    page = logged_in(paris_agent).get(HOME).content.decode()
    assert f'action="{reverse("admin:language")}"' in page
    for code in ("en", "fr", "es"):
        assert f'name="language" type="hidden" value="{code}"' in page
    assert f'href="{reverse("admin:preferences")}"' in page
    assert f'href="{reverse("admin:password_change")}"' in page


def test_preferences_save_a_language_then_automatic_forgets_it(paris_agent):
    client = logged_in(paris_agent)
    url = reverse("admin:preferences")
    page = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert escape(str(languages.AUTOMATIC)) in page
    response = client.post(url, {"language": "es"}, follow=True)
    assert StaffPreferences.objects.get(user=paris_agent).language == "es"
    assert language_of(response) == "es"
    assert "Se guardaron sus preferencias." in response.content.decode()
    response = client.post(url, {"language": ""}, headers={"accept-language": "en"})
    assert StaffPreferences.objects.get(user=paris_agent).language == ""
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    assert language_of(client.get(HOME, headers={"accept-language": "en"})) == "en"


def test_the_preferences_page_refuses_a_language_we_do_not_speak(paris_agent):
    response = logged_in(paris_agent).post(reverse("admin:preferences"), {"language": "de"})
    assert response.status_code == 200
    assert not StaffPreferences.objects.filter(user=paris_agent).exists()


def test_the_preferences_page_needs_a_signed_in_staff_member(db):
    response = Client().get(reverse("admin:preferences"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_the_sign_in_page_follows_the_browser(db):
    response = Client().get(reverse("admin:login"), headers={"accept-language": "fr"})
    assert language_of(response) == "fr"
    assert "Connexion" in response.content.decode()
