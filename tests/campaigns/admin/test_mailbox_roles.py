"""A mailbox belongs to its agent (issue 24 §1): only the account's own staff member, a manager
or owner of its agency, or a superuser may change it, disconnect it, reconnect it or make it
primary; every other member sees it read-only; the address is never editable (Google says
it), and another agency never reaches it at all."""

import pytest
from django.urls import reverse

from campaigns.accounts.oauth import SESSION_KEY
from campaigns.models import Campaign, EmailAccount
from tests.conftest import logged_in, make_staff

EVIL = "someone@elsewhere.example"


@pytest.fixture
def dana(org_a):
    """An agent of Sunset Realty, who owns the mailbox under test."""
    return make_staff("dana", org_a, role="agent")


@pytest.fixture
def mailbox(org_a, dana, google):
    """Dana's connected Gmail, sending an active campaign."""
    account = EmailAccount.objects.create(
        organization=org_a,
        user=dana,
        email_address="dana@sunset.example",
        display_name="Dana",
        refresh_token="dana-refresh",
    )
    google.refresh_tokens.add("dana-refresh")
    Campaign.objects.create(
        organization=org_a, name="Dana's", email_account=account, status=Campaign.Status.ACTIVE
    )
    return account


@pytest.fixture
def clients(org_a, dana, staff_a, staff_b, superuser):
    """Each role, logged in: True where the role may manage Dana's mailbox."""
    return {
        "the agent herself": (logged_in(dana), True),
        "another agent": (logged_in(make_staff("eve", org_a, role="agent")), False),
        "a manager": (logged_in(make_staff("max", org_a, role="manager")), True),
        "the owner": (logged_in(staff_a), True),
        "a superuser": (logged_in(superuser), True),
        "another agency": (logged_in(staff_b), False),
    }


ROLES = [
    "the agent herself",
    "another agent",
    "a manager",
    "the owner",
    "a superuser",
    "another agency",
]


def change_url(account):
    return reverse("admin:campaigns_emailaccount_change", args=[account.pk])


def action_url(name, account):
    return reverse(f"admin:campaigns_emailaccount_{name}", args=[account.pk])


def change_form(account, **changes):
    data = {
        "display_name": account.display_name,
        "reply_to": account.reply_to,
        "daily_limit": account.daily_limit,
        "warmup_days": account.warmup_days,
        "warmup_from": "",
        "is_active": "on" if account.is_active else "",
        "detect_replies": "",
        **changes,
    }
    return {key: value for key, value in data.items() if value != ""}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_agent_a_manager_an_owner_or_a_superuser_change_the_mailbox(
    role, clients, mailbox
):
    client, may = clients[role]
    changes = change_form(mailbox, reply_to=EVIL, daily_limit=5, is_active="")
    response = client.post(change_url(mailbox), changes)
    mailbox.refresh_from_db()
    if may:
        assert response.status_code == 302
        assert (mailbox.reply_to, mailbox.daily_limit, mailbox.is_active) == (EVIL, 5, False)
    else:
        assert response.status_code in (403, 302)
        assert (mailbox.reply_to, mailbox.daily_limit, mailbox.is_active) == ("", 500, True)


@pytest.mark.parametrize("role", ["another agent"])
def test_other_members_see_the_mailbox_read_only(role, clients, mailbox):
    client, _ = clients[role]
    page = client.get(change_url(mailbox))
    assert page.status_code == 200
    html = page.content.decode()
    assert "dana@sunset.example" in html
    assert 'name="reply_to"' not in html and 'name="daily_limit"' not in html
    assert action_url("reconnect", mailbox) not in html


@pytest.mark.parametrize("role", ["the agent herself", "the owner", "a superuser"])
def test_the_address_is_never_editable(role, clients, mailbox):
    client, _ = clients[role]
    page = client.get(change_url(mailbox)).content.decode()
    assert 'name="email_address"' not in page
    response = client.post(change_url(mailbox), change_form(mailbox, email_address=EVIL))
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.email_address == "dana@sunset.example"


@pytest.mark.parametrize("role", ROLES)
def test_only_those_who_may_disconnect_the_mailbox(role, clients, mailbox, google):
    client, may = clients[role]
    client.post(action_url("disconnect", mailbox))
    mailbox.refresh_from_db()
    campaign = mailbox.campaigns.get()
    if may:
        assert not mailbox.is_active and mailbox.refresh_token == ""
        assert "dana-refresh" in google.revoked
        assert campaign.status == Campaign.Status.PAUSED
    else:
        assert mailbox.is_active and mailbox.refresh_token == "dana-refresh"
        assert google.revoked == set()
        assert campaign.status == Campaign.Status.ACTIVE


@pytest.mark.parametrize("role", ROLES)
def test_only_those_who_may_reconnect_the_mailbox(role, clients, mailbox):
    client, may = clients[role]
    response = client.post(action_url("reconnect", mailbox))
    started = SESSION_KEY in client.session
    assert started == may
    if may:
        assert response.status_code == 302 and "/auth" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_only_those_who_may_make_the_mailbox_primary(role, clients, mailbox, staff_a, org_a):
    office = EmailAccount.objects.create(
        organization=org_a,
        user=staff_a,
        email_address="office@sunset.example",
        display_name="Office",
        is_primary=True,
    )
    client, may = clients[role]
    client.post(action_url("make_primary", mailbox))
    mailbox.refresh_from_db()
    office.refresh_from_db()
    assert mailbox.is_primary == may
    assert office.is_primary == (not may)


@pytest.mark.parametrize("role", ROLES)
def test_only_those_who_may_delete_the_mailbox(role, clients, mailbox):
    mailbox.campaigns.all().delete()  # a campaign's account cannot be deleted at all
    client, may = clients[role]
    changelist = reverse("admin:campaigns_emailaccount_changelist")
    client.post(
        changelist, {"action": "delete_selected", "_selected_action": [mailbox.pk], "post": "yes"}
    )
    assert EmailAccount.objects.filter(pk=mailbox.pk).exists() == (not may)
