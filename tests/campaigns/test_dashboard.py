"""The admin home's figures, counted by hand, and scoped to the staff member's agencies."""

import datetime

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, MessageLog
from crm.models import Lead

Status = MessageLog.Status


def log(campaign, n, status, sent_days_ago=None, error=""):
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
    return MessageLog.objects.create(
        organization=campaign.organization,
        campaign=campaign,
        lead=lead,
        status=status,
        sent_at=sent_at,
        error_message=error,
        to_email=lead.email,
    )


def test_the_home_counts_sends_rates_and_failures_of_my_agencies_only(
    client_a, campaign_a, campaign_b
):
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.ACTIVE)
    log(campaign_a, 1, Status.SENT, 0)
    log(campaign_a, 2, Status.SENT, 3)
    log(campaign_a, 3, Status.OPENED, 10)
    log(campaign_a, 4, Status.BOUNCED, 2)
    log(campaign_a, 5, Status.FAILED, error="HTTP 400 invalidArgument")
    log(campaign_a, 6, Status.QUEUED)
    log(campaign_b, 7, Status.SENT, 0)  # another agency: never counted
    log(campaign_b, 8, Status.FAILED, error="theirs")
    response = client_a.get(reverse("admin:index"))
    kpis = {kpi["title"]: kpi["value"] for kpi in response.context["kpis"]}
    assert kpis["Sent today"] == "1"
    assert kpis["Sent, 7 days"] == "3"
    assert kpis["Sent, 30 days"] == "4"
    assert kpis["Waiting to send"] == "1"
    assert kpis["Failure rate, 30 days"] == "20.0%"  # 1 failed of 5 attempted
    assert kpis["Bounce rate, 30 days"] == "25.0%"  # 1 bounced of 4 sent
    assert [c["campaign"].name for c in response.context["running"]] == ["Spring A"]
    assert [f.error_message for f in response.context["failures"]] == ["HTTP 400 invalidArgument"]
    page = response.content.decode()
    assert "theirs" not in page and "bob@harbor.example" not in page


def test_the_message_log_exports_to_csv_and_xlsx_scoped_and_formula_safe(
    client_a, campaign_a, campaign_b
):
    import io

    import openpyxl
    from import_export.formats import base_formats

    mine = log(campaign_a, 1, Status.FAILED, error='=HYPERLINK("http://evil")')
    log(campaign_b, 2, Status.SENT, 0)
    url = reverse("admin:campaigns_messagelog_export")
    fields = {f"messagelogresource_{name}": "on" for name in ("to_email", "error_message")}
    csv = client_a.post(url, {"format": "0", "resource": "0", **fields})
    body = csv.content.decode()
    assert mine.to_email in body and "harbor" not in body and "d2-" not in body
    assert "'=HYPERLINK" in body
    formats = [str(f().get_title()) for f in base_formats.DEFAULT_FORMATS]
    xlsx = client_a.post(url, {"format": str(formats.index("xlsx")), "resource": "0", **fields})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert '\'=HYPERLINK("http://evil")' in values
