"""Launching never holds the page: it queues an audience of one chunk itself; a larger one
is queued by a thread once the page has answered, while sending has begun; a sender
finishes a queuing whose process stopped; a dispatch still queuing never finishes early."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.admin.pages import QUEUING_REST
from campaigns.launching import blasts, queuing
from campaigns.models import Campaign, Dispatch, MessageLog
from campaigns.reporting.progress import campaign_progress
from crm.models import Lead
from tests.conftest import wait_for

Status = MessageLog.Status
LEADS = 45


@pytest.fixture
def small_chunks(settings):
    settings.CAMPAIGN_QUEUE_CHUNK = 10


def leads(campaign, count=LEADS):
    return Lead.objects.bulk_create(
        Lead(organization=campaign.organization, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(count)
    )


@pytest.mark.django_db(transaction=True)
def test_the_launch_page_answers_and_the_rest_is_queued_in_the_background(
    campaign_a, client_a, small_chunks
):
    leads(campaign_a)
    url = reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk])
    response = client_a.post(url, {"send_at": ""}, follow=True)
    [note] = [str(message) for message in response.context["messages"]]
    assert note.startswith("Launched: 45 messages queued.")
    assert QUEUING_REST in note
    launched = Dispatch.objects.get(campaign=campaign_a)
    wait_for(lambda: not Dispatch.objects.get(pk=launched.pk).queuing, seconds=30)
    launched.refresh_from_db()
    assert MessageLog.objects.filter(dispatch=launched, status=Status.QUEUED).count() == LEADS
    assert (launched.total, launched.skipped) == (LEADS, 0)


def test_the_launch_queues_an_audience_of_one_chunk_itself(campaign_a, small_chunks):
    leads(campaign_a, 10)
    launched = blasts.campaign_launch(campaign=campaign_a)
    assert not launched.queuing and launched.total == 10
    assert MessageLog.objects.filter(dispatch=launched, status=Status.QUEUED).count() == 10


def test_a_larger_audience_is_left_to_the_background(campaign_a, small_chunks):
    leads(campaign_a)
    launched = blasts.campaign_launch(campaign=campaign_a)
    # The test's transaction never commits, so the background thread never starts.
    assert launched.queuing and not MessageLog.objects.exists()
    assert (launched.total, launched.skipped) == (LEADS, 0)  # what the plan counted
    shown = campaign_progress(campaign_a)
    assert (shown["queuing"], shown["queuing_audience"], shown["total"]) == (True, LEADS, 0)


def test_a_dispatch_still_queuing_is_not_finished_and_a_sender_takes_it_over(
    campaign_a, small_chunks
):
    leads(campaign_a)
    launched = blasts.campaign_launch(campaign=campaign_a)
    blasts.finish_dispatches()  # nothing waits, yet it is not done
    launched.refresh_from_db()
    assert launched.status == Dispatch.Status.RUNNING
    assert queuing.take_over_orphans() == 0  # its thread may still be at work
    # Three minutes later it is not: the web process stopped with it.
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3)):
        assert queuing.take_over_orphans() == 1
    launched.refresh_from_db()
    assert not launched.queuing and launched.total == LEADS
    assert MessageLog.objects.filter(dispatch=launched, status=Status.QUEUED).count() == LEADS


def test_a_campaign_cancelled_while_queuing_queues_no_more(campaign_a, small_chunks):
    leads(campaign_a)
    launched = blasts.campaign_launch(campaign=campaign_a)
    first = next(queuing.chunks(queuing.launch_audience(launched), launched.organization_id))
    queuing.queue_chunk(launched, first)
    assert Campaign.objects.get(pk=campaign_a.pk).cancel() == first.count() > 0
    queuing.queue_rest(launched.pk)
    assert MessageLog.objects.filter(dispatch=launched).count() == first.count()
    assert set(MessageLog.objects.values_list("status", flat=True)) == {Status.CANCELLED}
    assert not Dispatch.objects.get(pk=launched.pk).queuing


def test_leads_added_after_the_launch_are_not_in_its_audience(campaign_a, small_chunks):
    leads(campaign_a, 15)
    launched = blasts.campaign_launch(campaign=campaign_a)
    Lead.objects.create(organization=campaign_a.organization, name="New", email="new@example.com")
    queuing.queue_rest(launched.pk)
    assert MessageLog.objects.filter(dispatch=launched).count() == 15
