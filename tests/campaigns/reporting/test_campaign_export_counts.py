"""The campaign results export counts each message once, however many steps the campaign has."""

import csv
import io

import openpyxl
from django.urls import reverse
from django.utils import timezone
from import_export.formats import base_formats

from campaigns.models import CampaignStep, MessageLog
from crm.models import Lead

Status = MessageLog.Status
COLUMNS = ("name", "messages", "sent", "opened", "failed", "open_rate")


def export(client, file_format: str):
    titles = [str(f().get_title()) for f in base_formats.DEFAULT_FORMATS]
    fields = {f"campaignresultsresource_{name}": "on" for name in COLUMNS}
    return client.post(
        reverse("admin:campaigns_campaign_export"),
        {"format": str(titles.index(file_format)), "resource": "0", **fields},
    )


def test_a_three_step_campaign_exports_the_counts_its_page_shows(client_a, campaign_a):
    campaign_a.track_opens = True
    campaign_a.save()
    for order in (2, 3):
        CampaignStep.objects.create(
            campaign=campaign_a, order=order, subject=f"Step {order}", body_template="<p>x</p>"
        )
    steps = list(campaign_a.steps.order_by("order"))
    now = timezone.now()
    for n in range(4):
        lead = Lead.objects.create(
            organization=campaign_a.organization, name=f"L{n}", email=f"l{n}@example.com"
        )
        for step in steps:
            failed = n == 3 and step.order == 1
            MessageLog.objects.create(
                organization=campaign_a.organization,
                campaign=campaign_a,
                campaign_step=step,
                lead=lead,
                to_email=lead.email,
                status=Status.FAILED if failed else Status.OPENED if n == 0 else Status.SENT,
                sent_at=None if failed else now,
                opened_at=now if n == 0 else None,
            )

    rows = list(csv.DictReader(io.StringIO(export(client_a, "csv").content.decode())))
    assert rows == [
        {
            "Campaign": "Spring A",
            "Messages": "12",
            "Sent": "11",
            "Opened": "3",
            "Failed": "1",
            "Open rate (%)": "27.3",
        }
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(export(client_a, "xlsx").content)).active
    assert [cell.value for cell in sheet[2]] == ["Spring A", 12, 11, 3, 1, 27.3]


def test_a_campaign_without_messages_exports_zeros(client_a, campaign_a):
    rows = list(csv.DictReader(io.StringIO(export(client_a, "csv").content.decode())))
    assert rows == [
        {
            "Campaign": "Spring A",
            "Messages": "0",
            "Sent": "0",
            "Opened": "0",
            "Failed": "0",
            "Open rate (%)": "",
        }
    ]
