"""Launching a blast: the audience, one queued message per lead (rendered from the frozen
step when claimed), and nothing queued twice."""

import threading
import zoneinfo
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, Dispatch, MessageLog
from campaigns.outbox import claims
from crm.models import Lead

Status = MessageLog.Status


@pytest.fixture
def leads_a(org_a):
    cities = ["Pasadena", "Burbank"]
    return [
        Lead.objects.create(
            organization=org_a,
            name=f"Lead {n}",
            email=f"lead{n}@example.com",
            city=cities[n % 2],
            status="new" if n < 6 else "qualified",
            budget_max=100_000 * n,
        )
        for n in range(10)
    ]


@pytest.fixture(autouse=True)
def no_pacing(settings):
    settings.GMAIL_QUOTA_UNITS_PER_MINUTE = 100_000_000


def claim_all(account):
    """Claim every waiting message of the account, as the sender would."""
    claimed = []
    while batch := claims.claim_for_account(account).messages:
        claimed += batch
    return claimed


@pytest.fixture
def blast(campaign_a, account_a):
    step = campaign_a.steps.get()
    step.subject = "Homes in {{ lead.city }}"
    step.body_template = "<p>Hi {{ lead.first_name }}</p>"
    step.save()
    return campaign_a


def test_a_launch_queues_one_message_per_lead_rendered_when_claimed(
    blast, leads_a, lead_b, staff_a, account_a
):
    launched = blasts.campaign_launch(campaign=blast, user=staff_a)
    logs = MessageLog.objects.filter(dispatch=launched)
    assert (launched.total, launched.skipped, logs.count()) == (10, 0, 10)
    assert set(logs.values_list("status", flat=True)) == {Status.QUEUED}
    assert set(logs.values_list("snapshot", flat=True)) == {launched.snapshot_id}
    claim_all(account_a)
    first = logs.get(lead=leads_a[1])
    assert (first.subject, first.to_email) == ("Homes in Burbank", "lead1@example.com")
    assert "Hi Lead" in first.body_html and "Unsubscribe" in first.body_text
    assert first.message_id.endswith("@sunset.example>")
    assert not MessageLog.objects.filter(lead=lead_b).exists()
    blast.refresh_from_db()
    assert blast.status == Campaign.Status.ACTIVE


def test_launching_twice_queues_nothing_twice(blast, leads_a):
    blasts.campaign_launch(campaign=blast)
    with pytest.raises(blasts.LaunchError, match="already been launched"):
        blasts.campaign_launch(campaign=Campaign.objects.get(pk=blast.pk))
    assert MessageLog.objects.count() == 10 and Dispatch.objects.count() == 1


def test_a_stale_copy_of_the_campaign_cannot_launch_again(blast, leads_a):
    stale = Campaign.objects.get(pk=blast.pk)
    blasts.campaign_launch(campaign=blast)
    with pytest.raises(blasts.LaunchError):
        blasts.campaign_launch(campaign=stale)
    assert Dispatch.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_launches_make_one_dispatch(blast, leads_a):
    results, barrier = [], threading.Barrier(2)

    def launch():
        barrier.wait()
        try:
            blasts.campaign_launch(campaign=Campaign.objects.get(pk=blast.pk))
            results.append("launched")
        except blasts.LaunchError as error:
            results.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=launch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results)[1] == "launched" and "already been launched" in sorted(results)[0]
    assert Dispatch.objects.count() == 1 and MessageLog.objects.count() == 10


def test_chosen_leads_and_filters_pick_the_audience(blast, leads_a):
    assert blasts.launch_plan(blast, lead_ids=[leads_a[0].pk, leads_a[1].pk]).audience == 2
    plan = blasts.launch_plan(
        blast, audience_filter={"status": ["new"], "city": "pasadena", "budget_min": 200_000}
    )
    assert plan.audience == 2  # leads 2 and 4: new, in Pasadena, budget_max >= 200,000
    blast.audience = Campaign.Audience.CHOSEN
    blast.save()
    blast.chosen_leads.set(leads_a[:3])
    assert blasts.launch_plan(blast).audience == 3


def test_a_bad_filter_is_a_clear_error(blast, leads_a):
    with pytest.raises(blasts.LaunchError, match="Unknown filter key"):
        blasts.campaign_launch(campaign=blast, audience_filter={"colour": "blue"})
    with pytest.raises(blasts.LaunchError, match="status: hot is not one of"):
        blasts.campaign_launch(campaign=blast, audience_filter={"status": ["hot"]})
    assert not MessageLog.objects.exists()


def test_opted_out_leads_are_counted_as_skipped_never_queued(blast, leads_a):
    Lead.objects.filter(pk=leads_a[0].pk).update(unsubscribed_at=timezone.now())
    launched = blasts.campaign_launch(campaign=blast)
    assert (launched.total, launched.skipped) == (10, 1)
    assert MessageLog.objects.get(lead=leads_a[0]).status == Status.SKIPPED


def test_a_lead_the_template_fails_for_is_failed_with_the_reason(blast, leads_a, property_a):
    step = blast.steps.get()
    step.body_template = "{% if lead.city == 'Burbank' %}{{ property.title }}{% endif %}ok"
    step.save()
    blasts.campaign_launch(campaign=blast)
    assert len(claim_all(blast.email_account)) == 5
    failed = MessageLog.objects.filter(status=Status.FAILED)
    assert failed.count() == 5
    assert "cannot be rendered for this lead" in failed.first().error_message


def test_an_empty_audience_or_a_disconnected_account_is_refused(blast, account_a):
    with pytest.raises(blasts.LaunchError, match="Nobody to send to"):
        blasts.campaign_launch(campaign=blast)
    account_a.needs_reconnect = True
    account_a.save()
    with pytest.raises(blasts.LaunchError, match="cannot send"):
        blasts.campaign_launch(campaign=blast)
    blast.refresh_from_db()
    assert blast.status == Campaign.Status.DRAFT


def test_cancel_keeps_what_was_sent_and_cancels_the_rest(blast, leads_a):
    launched = blasts.campaign_launch(campaign=blast)
    MessageLog.objects.filter(lead__in=leads_a[:3]).update(status=Status.SENT)
    assert blast.cancel() == 7
    assert MessageLog.objects.filter(status=Status.SENT).count() == 3
    assert MessageLog.objects.filter(status=Status.CANCELLED).count() == 7
    launched.refresh_from_db()
    assert launched.status == Dispatch.Status.CANCELLED


def test_the_command_launches_through_the_same_service(blast, leads_a):
    out = StringIO()
    call_command("launch_campaign", str(blast.pk), "--filter", '{"city": "Burbank"}', stdout=out)
    assert "5 queued, 0 skipped (Direct (this server) driver)" in out.getvalue()
    with pytest.raises(CommandError, match="already been launched"):
        call_command("launch_campaign", str(blast.pk))
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("launch_campaign", str(blast.pk), "--filter", "{city")
    with pytest.raises(CommandError, match="No campaign"):
        call_command("launch_campaign", "nope")


def test_the_admin_shows_the_plan_then_launches(client_a, blast, leads_a, sender_running):
    url = reverse("admin:campaigns_campaign_launch", args=[blast.pk])
    page = client_a.get(url).content.decode()
    assert 'id="plan-audience">10<' in page and "500 of 500" in page
    assert not MessageLog.objects.exists()
    response = client_a.post(url, {}, follow=True)
    notes = [str(m) for m in response.context["messages"]]
    assert notes == ["Launched: 10 messages queued. Sending has started."]
    assert MessageLog.objects.count() == 10


def test_a_scheduled_launch_waits_in_the_organizations_time_zone(client_a, blast, leads_a):
    url = reverse("admin:campaigns_campaign_launch", args=[blast.pk])
    local = timezone.now().astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
    later = local + timedelta(days=1)
    client_a.post(url, {"send_at_0": later.strftime("%Y-%m-%d"), "send_at_1": "09:30"})
    launched = Dispatch.objects.get()
    assert launched.status == Dispatch.Status.SCHEDULED
    send_after = launched.send_after.astimezone(later.tzinfo)
    assert (send_after.date(), send_after.hour, send_after.minute) == (later.date(), 9, 30)


def test_staff_cannot_launch_another_organizations_campaign(client_b, blast, leads_a):
    response = client_b.post(reverse("admin:campaigns_campaign_launch", args=[blast.pk]))
    assert response.status_code in (403, 404)
    assert not MessageLog.objects.exists()


def test_the_progress_endpoint_counts_by_state(client_a, blast, leads_a):
    blasts.campaign_launch(campaign=blast)
    MessageLog.objects.filter(lead__in=leads_a[:4]).update(
        status=Status.SENT, sent_at=timezone.now()
    )
    MessageLog.objects.filter(lead=leads_a[4]).update(status=Status.FAILED, error_message="bad")
    data = client_a.get(reverse("admin:campaigns_campaign_progress", args=[blast.pk])).json()
    assert (data["total"], data["sent"], data["failed"], data["waiting"]) == (10, 4, 1, 5)
    assert data["percent"] == 50.0 and data["errors"][0]["error"] == "bad"
    assert (
        client_a.get(reverse("admin:campaigns_campaign_change", args=[blast.pk])).status_code == 200
    )


def test_leads_are_added_to_a_campaign_from_the_leads_list(client_a, blast, leads_a, lead_b):
    changelist = reverse("admin:crm_lead_changelist")
    picked = [leads_a[0].pk, leads_a[1].pk, lead_b.pk]
    page = client_a.post(changelist, {"action": "add_to_campaign", "_selected_action": picked})
    assert "Spring A" in page.content.decode() and "Spring B" not in page.content.decode()
    response = client_a.post(
        changelist,
        {"action": "add_to_campaign", "_selected_action": picked, "campaign": blast.pk},
        follow=True,
    )
    assert "Added 2 leads to “Spring A”" in str(next(iter(response.context["messages"])))
    blast.refresh_from_db()
    assert blast.audience == Campaign.Audience.CHOSEN
    assert set(blast.chosen_leads.all()) == {leads_a[0], leads_a[1]}
