"""The home's figures: past days from the sums (DailyStat), today counted live."""

import datetime
from io import StringIO

import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    Campaign,
    DailyStat,
    EmailAccount,
    MessageLog,
    StatsWindow,
    StepSnapshot,
)
from campaigns.outbox import sending
from campaigns.reporting import stats
from crm.models import Lead
from tests.campaigns.reporting.test_dashboard import log

Status = MessageLog.Status
NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def kpis(client) -> dict[str, str]:
    response = client.get(reverse("admin:index"))
    return {kpi["title"]: kpi["value"] for kpi in response.context["kpis"]}


def test_past_days_are_summed_and_today_is_counted_live(client_a, campaign_a):
    campaign_a.track_opens = True
    campaign_a.save()
    with time_machine.travel(NOON, tick=False):
        earlier = log(campaign_a, 1, Status.SENT, 3)
        assert kpis(client_a)["Sent, 7 days"] == "1"  # the first view summed the past days
        assert StatsWindow.objects.get().until == NOON.date()
        assert DailyStat.objects.get().sent == 1

        log(campaign_a, 2, Status.SENT, 0)  # sent today: counted at once
        MessageLog.objects.filter(pk=earlier.pk).update(opened_at=NOON)
        figures = kpis(client_a)
        assert figures["Sent today"] == "1" and figures["Sent, 7 days"] == "2"
        assert figures["Open rate, 30 days"] == "0.0%"  # the earlier day is as summed

    with time_machine.travel(NOON + stats.MAX_AGE + datetime.timedelta(seconds=1), tick=False):
        assert kpis(client_a)["Open rate, 30 days"] == "50.0%"  # older sums: summed again


def test_after_midnight_yesterday_is_live_until_the_next_refresh(client_a, campaign_a):
    before_midnight = NOON.replace(hour=23, minute=50)
    with time_machine.travel(before_midnight, tick=False):
        stats.refresh()  # holds the days before March 10
        log(campaign_a, 1, Status.SENT, 0)  # March 10, 23:45
    with time_machine.travel(before_midnight + datetime.timedelta(minutes=15), tick=False):
        figures = kpis(client_a)  # 00:05 on March 11; the sums are 15 minutes old
        assert StatsWindow.objects.get().until == NOON.date()
        assert figures["Sent today"] == "0" and figures["Sent, 7 days"] == "1"


def test_the_sums_are_per_organization_and_replaced_whole(client_a, campaign_a, campaign_b):
    with time_machine.travel(NOON, tick=False):
        log(campaign_a, 1, Status.SENT, 2)
        log(campaign_b, 2, Status.SENT, 2)
        log(campaign_b, 3, Status.FAILED, error="theirs")
        MessageLog.objects.filter(status=Status.FAILED).update(
            updated_at=timezone.now() - datetime.timedelta(days=2)
        )
        stats.refresh()
        stats.refresh()  # a second refresh replaces the first: nothing is counted twice
        assert sorted(
            (s.campaign_id == campaign_a.pk, s.sent, s.failed) for s in DailyStat.objects.all()
        ) == [
            (False, 1, 1),
            (True, 1, 0),
        ]
        figures = kpis(client_a)
        assert figures["Sent, 7 days"] == "1" and figures["Failure rate, 30 days"] == "0.0%"


def test_the_running_sender_and_the_command_refresh_the_sums(
    campaign_a, account_a, settings, tmp_path
):
    settings.SANDBOX_OUTBOX_DIR = tmp_path
    EmailAccount.objects.filter(pk=account_a.pk).update(provider=EmailAccount.Provider.SANDBOX)
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.ACTIVE)
    log(campaign_a, 1, Status.SENT, 1)
    lead = Lead.objects.create(organization=campaign_a.organization, name="Q", email="q@x.example")
    sending.queued_message(
        snapshot=StepSnapshot.of(campaign_a.steps.get()), lead=lead, account=account_a
    ).save()
    # --limit 1 ends the service after its first send; it summed the days as it started.
    call_command("send_queued", loop=True, limit=1, stdout=StringIO(), stderr=StringIO())
    assert DailyStat.objects.get().sent == 1
    DailyStat.objects.all().delete()
    out = StringIO()
    call_command("refresh_stats", stdout=out)
    assert DailyStat.objects.get().sent == 1
    assert out.getvalue().startswith("Dashboard figures summed for ")
