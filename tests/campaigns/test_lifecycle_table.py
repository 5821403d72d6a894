"""A campaign's lifecycle is one table (Campaign.LIFECYCLE), and every place that says what a
status allows agrees with it: the queryset's conditional UPDATEs, the model's methods, the
buttons of the campaign's page (its actions and its live poll) and the admin's action
views."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignStatusError
from campaigns.reporting import campaign_live
from tests.conftest import make_sequence

STATUSES = list(Campaign.Status)
ACTIONS = list(Campaign.LIFECYCLE)


def in_status(campaign: Campaign, status: str) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    campaign.refresh_from_db()
    return campaign


def test_the_table_is_the_lifecycle():
    """Changing the lifecycle is changing this table, on purpose: here is what it says."""
    table = Campaign.LIFECYCLE.items()
    assert {action: (set(sources), target) for action, (sources, target) in table} == {
        "launch": ({"draft"}, "active"),
        "pause": ({"active"}, "paused"),
        "resume": ({"paused"}, "active"),
        "complete": ({"active"}, "completed"),
        "cancel": ({"active", "paused"}, "completed"),
    }
    assert set(Campaign.LIVE) == {"active", "paused"}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_the_querysets_action_moves_only_the_statuses_the_table_names(campaign_a, action, status):
    in_status(campaign_a, status)
    sources, target = Campaign.LIFECYCLE[action]
    moved = getattr(Campaign.objects.filter(pk=campaign_a.pk), action)()
    assert moved == (status in sources) == campaign_a.allows(action)
    campaign_a.refresh_from_db()
    assert campaign_a.status == (target if moved else status)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_the_models_action_is_refused_exactly_where_the_table_refuses_it(
    campaign_a, action, status
):
    in_status(campaign_a, status)
    if campaign_a.allows(action):
        getattr(campaign_a, action)()
        assert campaign_a.status == Campaign.LIFECYCLE[action].target
    else:
        with pytest.raises(CampaignStatusError):
            getattr(campaign_a, action)()
        assert Campaign.objects.get(pk=campaign_a.pk).status == status


def allowed_buttons(campaign: Campaign) -> list[str]:
    return [action for action in campaign_live.BUTTONS if campaign.allows(action)]


@pytest.mark.parametrize("status", STATUSES)
def test_the_campaign_page_offers_the_actions_the_table_allows(client_a, org_a, account_a, status):
    """A sequence goes on with nothing waiting, so its buttons are the status's alone."""
    sequence = in_status(make_sequence(org_a, account_a), status)
    html = client_a.get(reverse("admin:campaigns_campaign_change", args=[sequence.pk]))
    offered = [action for action in campaign_live.BUTTONS if f'data-action="{action}"' in html.text]
    assert offered == allowed_buttons(sequence)
    # A finished campaign is archived (kept), never deleted.
    keeping = ["archive"] if status == Campaign.Status.COMPLETED else []
    assert campaign_live.available_actions(sequence, 0) == [
        *allowed_buttons(sequence),
        *keeping,
        *campaign_live.ALWAYS,
    ]
    if status in Campaign.LIVE:  # the live page polls its buttons
        poll = client_a.get(reverse("admin:campaigns_campaign_progress", args=[sequence.pk]))
        assert poll.json()["actions"] == [*allowed_buttons(sequence), *campaign_live.ALWAYS]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", campaign_live.BUTTONS)
def test_the_admins_action_answers_only_where_the_table_allows(
    client_a, org_a, account_a, status, action
):
    """Allowed: the action's confirmation page. Refused (a page left open, Back): back to the
    campaign, with why."""
    sequence = in_status(make_sequence(org_a, account_a), status)
    url = reverse(f"admin:campaigns_campaign_{action}", args=[sequence.pk])
    response = client_a.get(url)
    if sequence.allows(action):
        assert response.status_code == 200
        assert b'method="post"' in response.content.lower()
    else:
        assert response.status_code == 302
        assert response.url == reverse("admin:campaigns_campaign_change", args=[sequence.pk])
    assert Campaign.objects.get(pk=sequence.pk).status == status  # a GET changes nothing
