"""The campaign page offers what means something now: no Pause or Cancel once a blast has
nothing left to send, and "Finished at <time>" instead of an empty "finishes". An action that no
longer applies (a page left open, Back) brings the campaign back with why, never a 403."""

import datetime
import zoneinfo

from django.urls import reverse
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, MessageLog

Status = MessageLog.Status
LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def page_of(client, campaign) -> str:
    return client.get(
        reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    ).content.decode()


def offered(html: str) -> set[str]:
    return set(
        name
        for name in ("launch", "pause", "resume", "cancel", "duplicate", "preview")
        if f'data-action="{name}"' in html
    )


def send_all(campaign, when: datetime.datetime) -> None:
    MessageLog.objects.filter(campaign=campaign).update(status=Status.SENT, sent_at=when)


def test_a_sending_blast_offers_pause_and_cancel(client_a, launched_blast):
    assert offered(page_of(client_a, launched_blast)) == {"pause", "cancel", "duplicate", "preview"}


def test_a_blast_at_100_percent_offers_neither_pause_nor_cancel(client_a, launched_blast):
    # Everything went out; the sender has not marked the campaign completed yet.
    send_all(launched_blast, timezone.now())
    html = page_of(client_a, launched_blast)
    assert offered(html) == {"duplicate", "preview"}
    data = client_a.get(
        reverse("admin:campaigns_campaign_progress", args=[launched_blast.pk])
    ).json()
    assert data["actions"] == ["preview", "duplicate"]


def test_a_finished_blast_says_when_it_finished(client_a, launched_blast):
    finished = timezone.now().replace(microsecond=0)
    send_all(launched_blast, finished)
    blasts.finish_dispatches()
    html = page_of(client_a, launched_blast)
    local = finished.astimezone(LA)
    assert f"Finished at {local:%-I:%M %p}" in html  # the English clock
    assert "finishes" not in html and "% done" not in html
    assert offered(html) == {"duplicate", "preview"}


def test_a_cancelled_blast_says_when_it_was_cancelled(client_a, launched_blast):
    launched_blast.cancel()
    assert "Cancelled at" in page_of(client_a, launched_blast)


def test_pause_on_a_finished_blast_brings_the_campaign_back_with_why(client_a, launched_blast):
    send_all(launched_blast, timezone.now())
    url = reverse("admin:campaigns_campaign_pause", args=[launched_blast.pk])
    for response in (client_a.get(url, follow=True), client_a.post(url, follow=True)):
        assert response.status_code == 200
        notes = [str(m) for m in response.context["messages"]]
        assert notes == ["Nothing to pause: this campaign has nothing left to send."]
    assert Campaign.objects.get(pk=launched_blast.pk).status == Campaign.Status.ACTIVE


def test_cancel_and_resume_of_a_completed_campaign_say_it_is_completed(client_a, launched_blast):
    launched_blast.cancel()
    for action in ("cancel", "resume", "pause"):
        url = reverse(f"admin:campaigns_campaign_{action}", args=[launched_blast.pk])
        response = client_a.get(url, follow=True)
        assert response.status_code == 200
        assert [str(m) for m in response.context["messages"]] == [
            f"Nothing to {action}: this campaign is completed."
        ]


def test_a_draft_offers_launch_only(client_a, campaign_a):
    assert offered(page_of(client_a, campaign_a)) == {"launch", "duplicate", "preview"}
    url = reverse("admin:campaigns_campaign_pause", args=[campaign_a.pk])
    response = client_a.get(url, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing to pause: this campaign is a draft."
    ]
