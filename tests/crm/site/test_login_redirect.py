"""Logging in at the admin's login page without ?next= lands on the home, not a 404."""

from django.urls import reverse


def test_logging_in_without_next_lands_on_the_home(client, staff_a):
    response = client.post(reverse("admin:login"), {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200


def test_logging_in_with_next_still_goes_there(client, staff_a):
    leads = reverse("admin:crm_lead_changelist")
    response = client.post(
        reverse("admin:login") + f"?next={leads}", {"username": "alice", "password": "pw"}
    )
    assert response["Location"] == leads
