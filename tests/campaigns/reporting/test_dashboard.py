"""The admin home's figures, counted by hand, and scoped to the staff member's agencies."""

import datetime
import json

import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignStep, MessageLog
from crm.models import Lead

Status = MessageLog.Status


EVENT_FIELD = {
    Status.OPENED: "opened_at",
    Status.CLICKED: "clicked_at",
    Status.REPLIED: "replied_at",
    Status.BOUNCED: "bounced_at",
    Status.UNSUBSCRIBED: "unsubscribed_at",
}


def log(campaign, n, status, sent_days_ago=None, error="", step=None):
    """A message as the system leaves it: an event status comes with its timestamp."""
    lead = Lead.objects.create(
        organization=campaign.organization,
        name=f"D{n}",
        email=f"d{n}-{campaign.pk.hex[:4]}@example.com",
    )
    sent_at = (
        None
        if sent_days_ago is None
        else timezone.now() - datetime.timedelta(days=sent_days_ago, minutes=5)
    )
    events = {EVENT_FIELD[status]: sent_at} if status in EVENT_FIELD else {}
    if status == Status.CLICKED:
        events["opened_at"] = sent_at
    return MessageLog.objects.create(
        organization=campaign.organization,
        campaign=campaign,
        campaign_step=step or campaign.steps.first(),
        lead=lead,
        status=status,
        sent_at=sent_at,
        error_message=error,
        to_email=lead.email,
        **events,
    )


@time_machine.travel(datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC), tick=False)
def test_the_home_counts_sends_rates_and_failures_of_my_agencies_only(
    client_a, campaign_a, campaign_b
):
    Campaign.objects.filter(pk=campaign_a.pk).update(
        status=Campaign.Status.ACTIVE, track_opens=True, track_clicks=True
    )
    log(campaign_a, 1, Status.SENT, 0)
    log(campaign_a, 2, Status.SENT, 3)
    log(campaign_a, 3, Status.OPENED, 10)
    log(campaign_a, 4, Status.BOUNCED, 2, error="Address not found")
    log(campaign_a, 5, Status.FAILED, error="HTTP 400 invalidArgument")
    log(campaign_a, 6, Status.QUEUED)
    log(campaign_a, 9, Status.CLICKED, 1)
    log(campaign_a, 10, Status.REPLIED, 1)
    log(campaign_a, 11, Status.UNSUBSCRIBED, 5)
    log(campaign_a, 12, Status.SENT, 40)  # older than 30 days: only in nothing
    log(campaign_b, 7, Status.SENT, 0)  # another agency: never counted
    log(campaign_b, 8, Status.FAILED, error="theirs")
    response = client_a.get(reverse("admin:index"))
    kpis = {kpi["title"]: kpi["value"] for kpi in response.context["kpis"]}
    # Sent in 30 days: 1, 2, 3, 4, 9, 10, 11 = 7; in 7 days: 1, 2, 4, 9, 10, 11 = 6.
    assert kpis["Sent today"] == "1"
    assert kpis["Sent, 7 days"] == "6"
    assert kpis["Sent, 30 days"] == "7"
    assert kpis["Waiting to send"] == "1"
    assert kpis["Failure rate, 30 days"] == "12.5%"  # 1 failed of 8 attempted
    assert kpis["Open rate, 30 days"] == "28.6%"  # 3 and 9 of 7
    assert kpis["Click rate, 30 days"] == "14.3%"  # 9 of 7
    assert kpis["Reply rate, 30 days"] == "14.3%"
    assert kpis["Bounce rate, 30 days"] == "14.3%"
    assert kpis["Unsubscribe rate, 30 days"] == "14.3%"
    assert [c["campaign"].name for c in response.context["running"]] == ["Spring A"]
    assert [f.error_message for f in response.context["failures"]] == ["HTTP 400 invalidArgument"]
    chart = json.loads(response.context["chart"])
    series = {dataset["label"]: dataset["data"] for dataset in chart["datasets"]}
    assert len(chart["labels"]) == 14
    # Each message in one stack, its furthest outcome. Today: 1 sent and 5 failed (by when
    # it failed); yesterday 9 clicked (not counted as opened too) and 10 replied.
    assert series["Sent, no reaction yet"][-4:] == [1, 0, 0, 1]
    assert series["Failed"][-1] == 1
    assert (series["Clicked"][-2], series["Opened"][-2], series["Replied"][-2]) == (1, 0, 1)
    assert series["Bounced"][-3] == 1 and series["Unsubscribed"][-6] == 1
    assert series["Opened"][-11] == 1
    # The stacks add up to the 7 sent in 14 days (12 was 40 days ago) and the 1 failed.
    assert sum(sum(data) for data in series.values()) == 8
    page = response.content.decode()
    assert "theirs" not in page and "bob@harbor.example" not in page


def test_untracked_campaigns_do_not_count_as_unopened(client_a, campaign_a):
    log(campaign_a, 1, Status.SENT, 0)
    kpis = {k["title"]: k["value"] for k in client_a.get(reverse("admin:index")).context["kpis"]}
    assert kpis["Open rate, 30 days"] == "–" and kpis["Click rate, 30 days"] == "–"


def test_the_campaign_page_shows_the_funnel_per_step_the_chart_and_failure_reasons(
    client_a, campaign_a, campaign_b
):
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.COMPLETED)
    second = CampaignStep.objects.create(
        campaign=campaign_a, order=2, subject="Again", body_template="<p>2</p>"
    )
    log(campaign_a, 1, Status.SENT, 0)
    log(campaign_a, 2, Status.CLICKED, 0)
    log(campaign_a, 3, Status.BOUNCED, 1, error="550 5.1.1 Address not found")
    log(campaign_a, 4, Status.BOUNCED, 2, error="550 5.1.1 Address not found")
    log(campaign_a, 5, Status.FAILED, error="HTTP 400 invalidArgument: Invalid To header")
    log(campaign_a, 6, Status.UNSUBSCRIBED, 0, step=second)
    log(campaign_a, 7, Status.REPLIED, 0, step=second)
    log(campaign_a, 8, Status.QUEUED, step=second)
    log(campaign_b, 9, Status.FAILED, error="theirs")
    response = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    funnel = {row["order"]: row for row in response.context["live"]["funnel"]}
    keys = ("audience", "queued", "sent", "opened", "clicked", "replied", "bounced")
    assert [funnel[1][k] for k in keys] == [5, 0, 4, 1, 1, 0, 2]
    assert (funnel[1]["unsubscribed"], funnel[1]["failed"]) == (0, 1)
    assert [funnel[2][k] for k in keys] == [3, 1, 2, 0, 0, 1, 0]
    assert funnel[2]["unsubscribed"] == 1
    results = response.context["results"]
    assert [(reason["words"], reason["count"]) for reason in results["reasons"]] == [
        ("The address does not exist (the receiving mail server bounced it)", 2),
        ("Gmail refused the address (invalid To header)", 1),
    ]
    series = {d["label"]: d["data"] for d in json.loads(results["chart"])["datasets"]}
    today = [series[label][-1] for label in ("Sent, no reaction yet", "Clicked", "Replied")]
    assert today == [1, 1, 1] and series["Unsubscribed"][-1] == 1
    assert series["Bounced"][-3:] == [1, 1, 0]
    assert sum(sum(data) for data in series.values()) == 7  # 6 sent, 1 failed
    page = response.content.decode()
    assert 'id="failure-reasons"' in page and 'id="campaign-chart"' in page
    assert "theirs" not in page


def test_the_message_log_exports_to_csv_and_xlsx_scoped_and_formula_safe(
    client_a, campaign_a, campaign_b
):
    import io

    import openpyxl

    from crm.site.export_admin import FORMATS

    mine = log(campaign_a, 1, Status.FAILED, error='=HYPERLINK("http://evil")')
    log(campaign_b, 2, Status.SENT, 0)
    url = reverse("admin:campaigns_messagelog_export")
    fields = {f"messagelogresource_{name}": "on" for name in ("to_email", "error_message")}
    csv = client_a.post(url, {"format": "0", "resource": "0", **fields})
    body = csv.content.decode()
    assert mine.to_email in body and "harbor" not in body and "d2-" not in body
    assert "'=HYPERLINK" in body
    formats = [str(f().get_title()) for f in FORMATS]
    xlsx = client_a.post(url, {"format": str(formats.index("xlsx")), "resource": "0", **fields})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert '\'=HYPERLINK("http://evil")' in values


def test_campaign_results_export_to_csv_and_xlsx_scoped(client_a, campaign_a, campaign_b):
    import csv
    import io

    import openpyxl

    from crm.site.export_admin import FORMATS

    Campaign.objects.filter(pk=campaign_a.pk).update(track_opens=True, name="=SUM(A1)")
    log(campaign_a, 1, Status.SENT, 0)
    log(campaign_a, 2, Status.CLICKED, 0)
    log(campaign_a, 3, Status.BOUNCED, 1, error="550 no such user")
    log(campaign_a, 4, Status.FAILED, error="HTTP 400")
    log(campaign_b, 5, Status.SENT, 0)
    url = reverse("admin:campaigns_campaign_export")
    names = ("name", "messages", "sent", "opened", "bounced", "failed", "open_rate", "click_rate")
    fields = {f"campaignresultsresource_{name}": "on" for name in names}
    response = client_a.post(url, {"format": "0", "resource": "0", **fields})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows == [
        {
            "Campaign": "'=SUM(A1)",
            "Messages": "4",
            "Sent": "3",
            "Opened": "1",
            "Bounced": "1",
            "Failed": "1",
            "Open rate (%)": "33.3",
            "Click rate (%)": "",  # the campaign did not track clicks
        }
    ]
    formats = [str(f().get_title()) for f in FORMATS]
    xlsx = client_a.post(url, {"format": str(formats.index("xlsx")), "resource": "0", **fields})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[2]][:3] == ["'=SUM(A1)", 4, 3]
    assert sheet.max_row == 2  # the other agency's campaign is not there
