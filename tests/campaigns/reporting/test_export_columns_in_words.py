"""The exports name their columns in words ("Open rate (%)", "A/B p-value", "Sent at"),
never a field's code name, and write statuses and types as the pages do."""

import csv
import io

from django.urls import reverse
from import_export.formats import base_formats

from campaigns.admin.resources import CampaignResultsResource, MessageLogResource


def header_of(client, model: str, resource) -> list[str]:
    titles = [str(f().get_title()) for f in base_formats.DEFAULT_FORMATS]
    prefix = type(resource).__name__.lower()
    fields = {f"{prefix}_{name}": "on" for name in resource.fields}
    response = client.post(
        reverse(f"admin:campaigns_{model}_export"),
        {"format": str(titles.index("csv")), "resource": "0", **fields},
    )
    assert response.status_code == 200
    return next(csv.reader(io.StringIO(response.content.decode())))


def test_the_campaign_results_columns_read_as_words(client_a, campaign_a):
    header = header_of(client_a, "campaign", CampaignResultsResource())
    assert header[:5] == ["Campaign", "Type", "Status", "Sending account", "Created"]
    for title in ("Open rate (%)", "Click rate (%)", "A/B p-value", "A/B subject B: rate (%)"):
        assert title in header
    assert not [title for title in header if "_" in title or title.islower()]


def test_the_message_log_columns_read_as_words(client_a, message_a):
    header = header_of(client_a, "messagelog", MessageLogResource())
    assert header[:6] == ["Created", "Campaign", "Step", "Lead", "To", "Subject as sent"]
    assert "Sent at" in header and "Why (failure or skip)" in header
    assert not [title for title in header if "_" in title or title.islower()]
