"""The sender records a heartbeat as it runs. When it has been silent for over a minute
and messages wait for it, the home and the campaign page say "Nothing is sending", in
words staff can pass on; never for messages that n8n sends."""

import datetime
from io import StringIO

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Dispatch, Enrollment, MessageLog, SenderHeartbeat
from campaigns.reporting import sender_health
from crm.models import Lead
from tests.conftest import make_sequence

NOTHING = str(sender_health.NOTHING_SENDING)


def beat(minutes_ago: float) -> None:
    SenderHeartbeat.objects.update_or_create(
        name=sender_health.SENDER,
        defaults={"beat_at": timezone.now() - datetime.timedelta(minutes=minutes_ago)},
    )


def warning_on(client, campaign) -> str:
    return client.get(reverse("admin:campaigns_campaign_progress", args=[campaign.pk])).json()[
        "sender_warning"
    ]


def test_the_sender_records_its_heartbeat_as_it_runs(db):
    assert sender_health.last_beat() is None
    call_command("send_queued", stdout=StringIO())
    assert timezone.now() - sender_health.last_beat() < datetime.timedelta(seconds=5)


def test_a_silent_sender_with_messages_waiting_is_reported(client_a, launched_blast):
    beat(minutes_ago=5)
    warning = warning_on(client_a, launched_blast)
    assert warning.startswith(NOTHING) and "It last ran " in warning
    assert (
        "waiting for the sending service"
        in client_a.get(
            reverse("admin:campaigns_campaign_change", args=[launched_blast.pk])
        ).content.decode()
    )
    home = client_a.get(reverse("admin:index")).content.decode()
    assert 'id="sender-warning"' in home and NOTHING in home


def test_a_sender_that_never_ran_is_reported_too(client_a, launched_blast):
    assert warning_on(client_a, launched_blast) == f"{NOTHING} {sender_health.NEVER_SEEN}"


def test_a_running_sender_is_not_reported(client_a, launched_blast):
    beat(minutes_ago=0.5)
    assert warning_on(client_a, launched_blast) == ""
    assert 'id="sender-warning"' not in client_a.get(reverse("admin:index")).content.decode()


def test_nothing_is_reported_when_nothing_waits(client_a, launched_blast):
    beat(minutes_ago=30)
    MessageLog.objects.update(status=MessageLog.Status.SENT, sent_at=timezone.now())
    assert warning_on(client_a, launched_blast) == ""
    launched_blast.pause()
    MessageLog.objects.update(status=MessageLog.Status.QUEUED)
    assert warning_on(client_a, launched_blast) == ""  # paused: nothing should be sending


def test_messages_that_n8n_sends_never_raise_the_warning(client_a, launched_blast, settings):
    settings.N8N_BASE_URL = "http://127.0.0.1:9"
    beat(minutes_ago=30)
    Dispatch.objects.update(driver=Dispatch.Driver.N8N)
    assert warning_on(client_a, launched_blast) == ""
    # A scheduled launch whose time has come waits for the sender to start it, though.
    Dispatch.objects.update(
        status=Dispatch.Status.SCHEDULED, send_after=timezone.now() - datetime.timedelta(hours=1)
    )
    assert warning_on(client_a, launched_blast).startswith(NOTHING)


def test_a_sequence_step_overdue_for_the_direct_sender_raises_it(client_a, org_a, account_a):
    beat(minutes_ago=30)
    sequence = make_sequence(org_a, account_a)
    Campaign.objects.filter(pk=sequence.pk).update(status=Campaign.Status.ACTIVE)
    Enrollment.objects.create(
        organization=org_a,
        campaign=sequence,
        lead=Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com"),
        started_at=timezone.now(),
        next_order=1,
        next_due_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    assert warning_on(client_a, sequence).startswith(NOTHING)


def test_the_launch_note_does_not_claim_sending_has_started_when_nothing_runs(
    client_a, campaign_a, lead_a
):
    beat(minutes_ago=10)
    url = reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk])
    response = client_a.post(url, follow=True)
    notes = [str(m) for m in response.context["messages"]]
    assert notes == [
        "Launched: 1 message queued. They go out as soon as the sending service runs (see below)."
    ]
    assert NOTHING in response.content.decode()


def test_another_organizations_waiting_messages_are_not_reported_on_the_home(
    client_b, launched_blast
):
    beat(minutes_ago=10)
    assert 'id="sender-warning"' not in client_b.get(reverse("admin:index")).content.decode()
