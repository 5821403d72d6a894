"""A launched campaign is never deleted (its messages are what each lead was sent): its page
offers no Delete and says why; once it is over, Archive hides it from the lists and keeps
its results. A draft is still deleted as before."""

from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.admin.campaigns import NOT_ARCHIVABLE, NOT_DELETED
from campaigns.models import Campaign, MessageLog
from tests.conftest import launch_to_leads

CHANGELIST = reverse("admin:campaigns_campaign_changelist")


def url(name: str, campaign: Campaign) -> str:
    return reverse(f"admin:campaigns_campaign_{name}", args=[campaign.pk])


def notes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def finished(campaign: Campaign) -> Campaign:
    launch_to_leads(campaign, 2)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
    campaign.refresh_from_db()
    return campaign


def test_a_launched_campaign_offers_archive_instead_of_delete(client_a, campaign_a):
    finished(campaign_a)
    page = client_a.get(url("change", campaign_a)).content.decode()
    assert url("delete", campaign_a) not in page
    assert url("archive", campaign_a) in page
    assert "It cannot be deleted (its messages are the record of what each lead was sent" in page
    response = client_a.get(url("delete", campaign_a))
    assert response.status_code == 302 and notes(response) == [str(NOT_DELETED)]
    assert Campaign.objects.filter(pk=campaign_a.pk).exists()


def test_archiving_hides_it_from_the_list_and_keeps_its_results(client_a, campaign_a):
    finished(campaign_a)
    confirm = client_a.get(url("archive", campaign_a))
    assert 'id="confirm-form"' in confirm.content.decode()
    assert Campaign.objects.get(pk=campaign_a.pk).archived_at is None  # a GET changes nothing
    client_a.post(url("archive", campaign_a))
    assert Campaign.objects.get(pk=campaign_a.pk).archived_at is not None
    assert campaign_a.name not in client_a.get(CHANGELIST).content.decode()
    assert campaign_a.name in client_a.get(CHANGELIST + "?archived=yes").content.decode()
    assert MessageLog.objects.filter(campaign=campaign_a).count() == 2
    page = client_a.get(url("change", campaign_a)).content.decode()
    assert "Archived on" in page and url("unarchive", campaign_a) in page
    client_a.post(url("unarchive", campaign_a))
    assert campaign_a.name in client_a.get(CHANGELIST).content.decode()


def test_a_campaign_still_sending_is_not_archived(client_a, campaign_a):
    launch_to_leads(campaign_a, 1)
    page = client_a.get(url("change", campaign_a)).content.decode()
    assert url("delete", campaign_a) not in page and url("archive", campaign_a) not in page
    assert "It cannot be deleted: its messages are the record" in page
    response = client_a.post(url("archive", campaign_a))
    assert notes(response) == [str(NOT_ARCHIVABLE)]
    assert Campaign.objects.get(pk=campaign_a.pk).archived_at is None


def test_a_draft_is_still_deleted(client_a, campaign_a):
    page = client_a.get(url("change", campaign_a)).content.decode()
    assert url("delete", campaign_a) in page
    client_a.post(url("delete", campaign_a), {"post": "yes"})
    assert not Campaign.objects.filter(pk=campaign_a.pk).exists()


def test_the_list_archives_only_finished_campaigns(client_a, campaign_a, org_a, account_a):
    finished(campaign_a)
    draft = Campaign.objects.create(organization=org_a, name="Draft", email_account=account_a)
    response = client_a.post(
        CHANGELIST,
        {"action": "archive_selected", "_selected_action": [campaign_a.pk, draft.pk]},
    )
    assert notes(response) == [
        "1 campaign archived. 1 was left as it is: only finished campaigns are archived."
    ]
    assert Campaign.objects.get(pk=draft.pk).archived_at is None


def test_another_agencys_campaign_cannot_be_archived(client_a, campaign_b):
    finished(campaign_b)
    assert client_a.post(url("archive", campaign_b)).status_code in (302, 404)
    assert Campaign.objects.get(pk=campaign_b.pk).archived_at is None
