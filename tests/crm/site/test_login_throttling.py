"""Logins are throttled per username and client address (django-axes), the lockout is said
on the login page, and behind a proxy the forwarded address counts only when trusted."""

from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from crm.site.login import LOCKED_OUT

LOGIN = reverse("admin:login")
LOCKED_OUT_NOW = LOCKED_OUT.format(minutes=15)
CLIENT_IP = "198.51.100.7"


def log_in(client: Client, username: str, password: str, ip: str = CLIENT_IP, **headers):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        **headers,
    )


def lock_out(username: str, ip: str = CLIENT_IP, **headers) -> list[int]:
    client = Client()
    return [log_in(client, username, "wrong", ip, **headers).status_code for _ in range(40)]


def test_forty_wrong_passwords_lock_the_user_out_and_the_right_one_is_then_refused(staff_a):
    statuses = lock_out("alice")
    assert statuses == [200] * 9 + [429] * 31
    client = Client()
    response = log_in(client, "alice", "pw")
    page = response.content.decode()
    assert response.status_code == 429
    assert LOCKED_OUT_NOW in page
    assert 'id="login-form"' in page  # the styled login page, not a bare message
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_before_the_limit_says_only_that(staff_a):
    response = log_in(Client(), "alice", "wrong")
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
    assert LOCKED_OUT_NOW not in response.content.decode()


def test_another_address_or_another_user_is_not_locked_out(staff_a, staff_b):
    lock_out("alice")
    assert log_in(Client(), "alice", "pw", ip="203.0.113.9").status_code == 302
    assert log_in(Client(), "bob", "pw").status_code == 302


def test_without_the_proxy_setting_a_forwarded_header_is_ignored(staff_a):
    client = Client()
    for n in range(10):
        log_in(client, "alice", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = log_in(client, "alice", "pw", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_IP}


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked(settings, staff_a):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    # The proxy appends the address it saw; whatever the client wrote stays on the left.
    lock_out("alice", ip=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    locked = log_in(Client(), "alice", "pw", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    forged = log_in(Client(), "alice", "pw", ip=proxy, HTTP_X_FORWARDED_FOR="5.6.7.8, 203.0.113.7")
    assert forged.status_code == 429
    other = log_in(Client(), "alice", "pw", ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7, 192.0.2.5")
    assert other.status_code == 302


def test_superusers_see_the_failed_logins_and_staff_do_not(admin_client_root, client_a, staff_b):
    lock_out("bob")
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = admin_client_root.get(changelist)
    assert page.status_code == 200
    assert "bob" in page.content.decode() and CLIENT_IP in page.content.decode()
    assert client_a.get(changelist).status_code == 403
    assert client_a.get(reverse("admin:axes_accesslog_changelist")).status_code == 403
    assert "axes" not in client_a.get(reverse("admin:index")).content.decode().lower()
