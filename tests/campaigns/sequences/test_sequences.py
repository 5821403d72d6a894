"""Sequences over time: a fixed clock moved through days, weekends, two time zones and a
daylight-saving change; stop rules, editing rules, concurrent ticks."""

import datetime
import threading
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from campaigns.admin.forms import STEP_HAS_SENT
from campaigns.events import unsubscribes
from campaigns.models import Campaign, CampaignStep, EmailAccount, Enrollment, MessageLog
from campaigns.outbox import claims
from campaigns.sequences import schedule
from crm.models import Lead
from tests.conftest import make_sequence

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MONDAY_8AM_LA = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=LA)


@pytest.fixture
def sequence(org_a, account_a, settings, tmp_path):
    settings.SANDBOX_OUTBOX_DIR = tmp_path
    EmailAccount.objects.filter(pk=account_a.pk).update(provider=EmailAccount.Provider.SANDBOX)
    return make_sequence(org_a, account_a)


def make_leads(org, count):
    return [
        Lead.objects.create(organization=org, name=f"Lead {n}", email=f"s{n}@example.com")
        for n in range(count)
    ]


def at(moment):
    return time_machine.travel(moment, tick=False)


def send_all():
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())


def sent_steps(lead):
    return list(
        MessageLog.objects.filter(lead=lead, is_test=False)
        .order_by("campaign_step__order")
        .values_list("campaign_step__order", flat=True)
    )


def test_the_window_moves_evenings_and_weekends_to_the_next_opening(sequence):
    friday_evening = datetime.datetime(2026, 3, 6, 18, 30, tzinfo=LA)
    assert sequence.place_in_window(friday_evening) == datetime.datetime(
        2026, 3, 9, 9, 0, tzinfo=LA
    )
    early = datetime.datetime(2026, 3, 4, 7, 0, tzinfo=LA)
    assert sequence.place_in_window(early) == datetime.datetime(2026, 3, 4, 9, 0, tzinfo=LA)
    inside = datetime.datetime(2026, 3, 4, 11, 15, tzinfo=LA)
    assert sequence.place_in_window(inside) == inside
    sequence.send_on_weekends = True
    saturday = datetime.datetime(2026, 3, 7, 10, 0, tzinfo=LA)
    assert sequence.place_in_window(saturday) == saturday


def test_the_window_is_read_in_the_organizations_time_zone_across_a_dst_change(sequence, org_a):
    org_a.timezone = "Europe/Paris"
    org_a.save()
    sequence.refresh_from_db()
    # Paris leaves summer time on Sunday 25 October 2026.
    before = datetime.datetime(2026, 10, 23, 16, 30, tzinfo=PARIS)  # Friday, summer time
    due = sequence.place_in_window(before + datetime.timedelta(days=3))
    assert due.astimezone(PARIS).date() == datetime.date(2026, 10, 26)
    assert datetime.time(9) <= due.astimezone(PARIS).time() < datetime.time(17)
    late = sequence.place_in_window(datetime.datetime(2026, 10, 26, 17, 0, tzinfo=PARIS))
    assert late == datetime.datetime(2026, 10, 27, 9, 0, tzinfo=PARIS)
    assert late.utcoffset() == datetime.timedelta(hours=1)


def test_day_0_3_7_over_ten_days_sends_150_messages_minus_the_stopped(sequence, org_a):
    leads = make_leads(org_a, 50)
    with at(MONDAY_8AM_LA):
        assert schedule.sequence_activate(campaign=sequence) == 50
    stopped = set()
    for day in range(11):
        with at(MONDAY_8AM_LA + datetime.timedelta(days=day, hours=2)):
            schedule.tick()
            send_all()
            if day == 1:
                unsubscribes.unsubscribe(leads[0])
                Lead.objects.filter(pk=leads[1].pk).update(status=Lead.Status.CLIENT)
                MessageLog.objects.filter(lead=leads[2]).update(
                    status=MessageLog.Status.REPLIED, replied_at=timezone.now()
                )
                stopped |= {leads[0].pk, leads[1].pk, leads[2].pk}
    total = MessageLog.objects.filter(campaign=sequence, is_test=False).count()
    assert total == 150 - 2 * len(stopped)  # the three got step 1 only
    assert (
        MessageLog.objects.filter(campaign=sequence, status=MessageLog.Status.QUEUED).count() == 0
    )
    assert sent_steps(leads[10]) == [1, 2, 3]
    sent_days = sorted(
        log.sent_at.astimezone(LA).date() for log in MessageLog.objects.filter(lead=leads[10])
    )
    assert sent_days == [
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 5),
        datetime.date(2026, 3, 9),
    ]
    reasons = dict(
        Enrollment.objects.filter(lead_id__in=stopped).values_list("lead_id", "stop_reason")
    )
    assert reasons == {
        leads[0].pk: "unsubscribed",
        leads[1].pk: "lead became client",
        leads[2].pk: "replied",
    }
    assert Enrollment.objects.filter(state=Enrollment.State.COMPLETED).count() == 47


def test_a_tick_that_missed_days_catches_up_one_step_at_a_time(sequence, org_a):
    [lead] = make_leads(org_a, 1)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
    with at(MONDAY_8AM_LA + datetime.timedelta(days=9, hours=2)):  # nothing ran for 9 days
        schedule.tick()
        schedule.tick()
        assert sent_steps(lead) == [1]
    with at(MONDAY_8AM_LA + datetime.timedelta(days=10, hours=2)):
        schedule.tick()
        assert sent_steps(lead) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_the_same_moment_queue_nothing_twice(sequence, org_a):
    make_leads(org_a, 30)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        with at(MONDAY_8AM_LA + datetime.timedelta(hours=2)):
            schedule.tick()
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert MessageLog.objects.count() == 30


def test_enrolling_twice_does_nothing_and_new_leads_join_when_asked(sequence, org_a):
    make_leads(org_a, 3)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
        assert schedule.enroll(sequence, Lead.objects.all()) == 0
        Campaign.objects.filter(pk=sequence.pk).update(enroll_new_leads=True)
        Lead.objects.create(organization=org_a, name="Newcomer", email="new@example.com")
        assert schedule.tick().enrolled == 1
    assert Enrollment.objects.count() == 4


def test_pausing_holds_and_resuming_shifts_due_times_without_a_burst(sequence, org_a):
    [lead] = make_leads(org_a, 1)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
    with at(MONDAY_8AM_LA + datetime.timedelta(hours=2)):
        schedule.tick()
        sequence.pause()
    with at(MONDAY_8AM_LA + datetime.timedelta(days=5, hours=2)):  # Saturday
        schedule.tick()
        assert sent_steps(lead) == [1]
    with at(MONDAY_8AM_LA + datetime.timedelta(days=7, hours=2)):  # next Monday 10:00
        sequence.refresh_from_db()
        sequence.resume()
        schedule.tick()
        assert sent_steps(lead) == [1]  # step 2 moved by the week of pause: not due yet
        due = Enrollment.objects.get().next_due_at.astimezone(LA)
    assert due == datetime.datetime(2026, 3, 12, 9, 0, tzinfo=LA)


def test_a_deactivated_step_is_skipped_and_a_new_step_is_appended(sequence, org_a):
    [lead] = make_leads(org_a, 1)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
        CampaignStep.objects.filter(campaign=sequence, order=2).update(is_active=False)
        CampaignStep.objects.create(
            campaign=sequence, order=4, offset_days=9, subject="Last", body_template="<p>Last</p>"
        )
    for day in range(12):
        with at(MONDAY_8AM_LA + datetime.timedelta(days=day, hours=2)):
            schedule.tick()
    assert sent_steps(lead) == [1, 3, 4]


def test_follow_ups_reply_in_the_first_messages_thread(sequence, org_a):
    make_leads(org_a, 1)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
    with at(MONDAY_8AM_LA + datetime.timedelta(hours=2)):
        schedule.tick()
        claims.claim_for_account(sequence.email_account)  # rendered as it is claimed
        MessageLog.objects.update(
            status=MessageLog.Status.SENT, thread_id="thread-1", sent_at=timezone.now()
        )
    with at(MONDAY_8AM_LA + datetime.timedelta(days=3, hours=2)):
        schedule.tick()
    first, follow_up = MessageLog.objects.order_by("campaign_step__order")
    assert follow_up.thread_id == "thread-1"
    assert follow_up.in_reply_to == first.message_id
    assert follow_up.subject == "Re: Welcome"


def test_a_step_that_has_sent_cannot_be_deleted(client_a, sequence, org_a):
    from django.urls import reverse

    make_leads(org_a, 1)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
    with at(MONDAY_8AM_LA + datetime.timedelta(hours=2)):
        schedule.tick()
    step = sequence.steps.get(order=1)
    url = reverse("admin:campaigns_campaignstep_delete", args=[step.pk])
    response = client_a.post(url, {"post": "yes"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [str(STEP_HAS_SENT)]
    assert CampaignStep.objects.filter(pk=step.pk).exists()


def test_removing_a_lead_stops_their_enrollment(client_a, sequence, org_a):
    from django.urls import reverse

    make_leads(org_a, 2)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
    enrollment = Enrollment.objects.first()
    client_a.post(
        reverse("admin:campaigns_enrollment_changelist"),
        {"action": "remove_from_sequence", "_selected_action": [enrollment.pk]},
    )
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.stop_reason) == ("stopped", "removed by staff")


def test_the_sequence_page_shows_the_funnel(client_a, sequence, org_a):
    from django.urls import reverse

    make_leads(org_a, 3)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
    with at(MONDAY_8AM_LA + datetime.timedelta(hours=2)):
        schedule.tick()
        send_all()
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[sequence.pk]))
    assert page.context["live"]["funnel"][0]["sent"] == 3
    assert page.context["live"]["sequence"]["active"] == 3
    assert 'id="step-funnel"' in page.content.decode()


def test_the_tick_command_and_the_signed_tick_endpoint(sequence, org_a, settings):
    import json

    from django.test import Client

    from campaigns.n8n import signing

    make_leads(org_a, 2)
    settings.N8N_WEBHOOK_SECRET = ["s"]
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
    with at(MONDAY_8AM_LA + datetime.timedelta(hours=2)):
        out = StringIO()
        call_command("run_sequences", stdout=out)
        assert "2 queued" in out.getvalue()
        body = b"{}"
        url = "/api/campaigns/tick/"
        assert Client().post(url, body, content_type="application/json").status_code == 401
        response = Client().post(
            url,
            body,
            content_type="application/json",
            HTTP_X_SIGNATURE=signing.sign(body, path=url),
        )
        assert json.loads(response.content)["queued"] == 0


def test_a_leads_page_shows_their_enrollments_and_timeline(client_a, sequence, org_a):
    from django.urls import reverse

    [lead] = make_leads(org_a, 1)
    with at(MONDAY_8AM_LA):
        schedule.sequence_activate(campaign=sequence)
    with at(MONDAY_8AM_LA + datetime.timedelta(hours=2)):
        schedule.tick()
    page = client_a.get(reverse("admin:crm_lead_change", args=[lead.pk])).content.decode()
    assert "Welcome" in page and "Nurture" in page and 'id="lead-timeline"' in page
