"""Wrong old passwords on "Change password" count as failed logins (issue 24 §4): whoever
finds a session left open cannot guess its password there faster than at the login page;
past the limit even the right one is refused, and the login is locked out too."""

from django.test import Client
from django.urls import reverse

from crm.site.login import LOCKED_OUT
from tests.conftest import logged_in

CHANGE = reverse("admin:password_change")
LOCKED_OUT_NOW = LOCKED_OUT.format(minutes=15)
NEW = "a-new-Passw0rd-long-enough"


def change(client, old):
    return client.post(CHANGE, {"old_password": old, "new_password1": NEW, "new_password2": NEW})


def test_fifteen_wrong_old_passwords_lock_the_change_and_the_right_one_is_refused(staff_a):
    client = logged_in(staff_a)
    statuses = [change(client, f"guess-{n}").status_code for n in range(15)]
    assert statuses[:9] == [200] * 9 and 429 in statuses
    response = change(client, "pw")
    assert response.status_code in (200, 429)
    assert LOCKED_OUT_NOW in response.content.decode()
    staff_a.refresh_from_db()
    assert staff_a.check_password("pw") and not staff_a.check_password(NEW)
    # The same lockout holds at the login page.
    login = Client().post(reverse("admin:login"), {"username": "alice", "password": "pw"})
    assert login.status_code == 429


def test_a_few_wrong_old_passwords_then_the_right_one_change_it(staff_a):
    client = logged_in(staff_a)
    for n in range(3):
        assert change(client, f"guess-{n}").status_code == 200
    assert change(client, "pw").status_code == 302
    staff_a.refresh_from_db()
    assert staff_a.check_password(NEW)


def test_the_page_is_still_the_admins(staff_a):
    page = logged_in(staff_a).get(CHANGE)
    assert page.status_code == 200
    assert 'name="old_password"' in page.content.decode()
    assert Client().get(CHANGE).status_code == 302  # signed out: to the login page
