"""Launching never holds the page: it queues one chunk of the audience (or for a moment),
answers, and a thread queues the rest while sending has begun; a sender finishes a queuing
whose process stopped; a dispatch still queuing never finishes early."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns import dispatch, queuing
from campaigns.admin_views import QUEUING_REST
from campaigns.models import Campaign, Dispatch, MessageLog
from campaigns.progress import campaign_progress
from crm.models import Lead
from tests.conftest import wait_for

Status = MessageLog.Status
LEADS = 45


@pytest.fixture
def small_chunks(settings):
    # Chunks of 10 leads, and no time for a second one before the page answers.
    settings.CAMPAIGN_QUEUE_CHUNK = 10
    settings.CAMPAIGN_LAUNCH_QUEUE_SECONDS = 0


def first_chunk(leads):
    """The leads of the first of the five ranges of ids that 45 leads are queued in."""
    return [lead for lead in leads if lead.pk.int < (1 << 128) // 5]


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


def test_the_launch_queues_a_whole_chunk_before_it_answers(campaign_a, small_chunks):
    first = first_chunk(leads(campaign_a))
    launched = dispatch.campaign_launch(campaign=campaign_a)
    # The test's transaction never commits, so the background thread never starts.
    assert launched.queuing
    queued = MessageLog.objects.filter(dispatch=launched)
    assert {message.lead_id for message in queued} == {lead.pk for lead in first}
    assert (launched.total, launched.skipped) == (LEADS, 0)  # what the plan counted
    shown = campaign_progress(campaign_a)
    assert (shown["queuing"], shown["queuing_audience"]) == (True, LEADS)
    assert shown["total"] == len(first) < LEADS


def test_a_dispatch_still_queuing_is_not_finished_and_a_sender_takes_it_over(
    campaign_a, small_chunks
):
    first = first_chunk(leads(campaign_a))
    launched = dispatch.campaign_launch(campaign=campaign_a)
    MessageLog.objects.filter(dispatch=launched).update(status=Status.SENT, sent_at=timezone.now())
    dispatch.finish_dispatches()
    launched.refresh_from_db()
    assert launched.status == Dispatch.Status.RUNNING
    assert queuing.take_over_orphans() == 0  # its thread may still be at work
    # Three minutes later it is not: the web process stopped with it.
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3)):
        assert queuing.take_over_orphans() == 1
    launched.refresh_from_db()
    assert not launched.queuing and launched.total == LEADS
    queued = MessageLog.objects.filter(dispatch=launched, status=Status.QUEUED)
    assert queued.count() == LEADS - len(first)


def test_a_campaign_cancelled_while_queuing_queues_no_more(campaign_a, small_chunks):
    first = first_chunk(leads(campaign_a))
    launched = dispatch.campaign_launch(campaign=campaign_a)
    assert Campaign.objects.get(pk=campaign_a.pk).cancel() == len(first)
    queuing.queue_rest(launched.pk)
    assert MessageLog.objects.filter(dispatch=launched).count() == len(first)
    assert set(MessageLog.objects.values_list("status", flat=True)) == {Status.CANCELLED}
    assert not Dispatch.objects.get(pk=launched.pk).queuing


def test_leads_added_after_the_launch_are_not_in_its_audience(campaign_a, small_chunks):
    leads(campaign_a, 15)
    launched = dispatch.campaign_launch(campaign=campaign_a)
    Lead.objects.create(organization=campaign_a.organization, name="New", email="new@example.com")
    queuing.queue_rest(launched.pk)
    assert MessageLog.objects.filter(dispatch=launched).count() == 15
