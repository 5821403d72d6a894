"""An admin page costs the same whatever its number of rows: no query and no header built
per row, and what every part of the page asks for (membership, the campaign) read once."""

from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from unfold.templatetags import unfold_list

from campaigns.models import Campaign, CampaignStep, Enrollment, MessageLog
from crm.models import Lead


def queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def make_leads(organization, count: int) -> list[Lead]:
    return Lead.objects.bulk_create(
        Lead(organization=organization, name=f"Lead {n}", email=f"lead{n}@example.com")
        for n in range(count)
    )


def test_a_list_page_asks_about_membership_once(client_a, org_a):
    make_leads(org_a, 3)
    asked = [
        sql
        for sql in queries(client_a, reverse("admin:crm_lead_changelist"))
        if 'FROM "crm_membership" WHERE "crm_membership"."user_id"' in sql
    ]
    assert len(asked) == 1


def test_a_list_page_builds_its_column_headers_once_not_once_per_row(client_a, org_a):
    make_leads(org_a, 30)
    with mock.patch.object(
        unfold_list, "label_for_field", wraps=unfold_list.label_for_field
    ) as labels:
        assert client_a.get(reverse("admin:crm_lead_changelist")).status_code == 200
    columns = len(client_a.get(reverse("admin:crm_lead_changelist")).context["cl"].list_display)
    assert labels.call_count <= columns


def test_a_leads_page_reads_its_sequences_and_timeline_with_their_rows(
    client_a, org_a, lead_a, account_a
):
    url = reverse("admin:crm_lead_change", args=[lead_a.pk])

    def add_campaign(number: int) -> None:
        campaign = Campaign.objects.create(
            organization=org_a, name=f"Sequence {number}", email_account=account_a
        )
        step = CampaignStep.objects.create(campaign=campaign, subject="Hi", body_template="x")
        Enrollment.objects.create(
            organization=org_a, campaign=campaign, lead=lead_a, started_at=campaign.created_at
        )
        MessageLog.objects.create(
            organization=org_a,
            campaign=campaign,
            campaign_step=step,
            lead=lead_a,
            to_email=lead_a.email,
        )

    add_campaign(1)
    queries(client_a, url)  # the first view fills per-process caches (content types)
    one = len(queries(client_a, url))
    for number in range(2, 6):
        add_campaign(number)
    assert len(queries(client_a, url)) == one


def test_a_campaigns_page_reads_the_campaign_once_for_its_action_buttons(client_a, campaign_a):
    url = reverse("admin:campaigns_campaign_change", args=[campaign_a.pk])
    read = [
        sql
        for sql in queries(client_a, url)
        if sql.startswith('SELECT "campaigns_campaign"."id"') and "LIMIT 21" in sql
    ]
    assert len(read) <= 2  # the page's own object and the buttons' one


def test_a_rows_checkbox_is_the_one_unfolds_widget_renders(client_a, lead_a):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from unfold.admin import checkbox

    page = client_a.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert checkbox.render(ACTION_CHECKBOX_NAME, str(lead_a.pk)) in page


def test_a_campaigns_page_reads_its_messages_once_for_its_progress_and_funnel(
    client_a, campaign_a, message_a
):
    from campaigns.reporting.progress import campaign_progress

    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.ACTIVE)
    MessageLog.objects.filter(pk=message_a.pk).update(status=MessageLog.Status.FAILED)
    url = reverse("admin:campaigns_campaign_change", args=[campaign_a.pk])
    counted = [
        sql
        for sql in queries(client_a, url)
        if 'COUNT("campaigns_messagelog"."id") FILTER' in sql and "\"status\" = 'failed'" in sql
    ]
    assert len(counted) == 1
    shown = client_a.get(url).context["live"]
    campaign_a.refresh_from_db()
    expected = campaign_progress(campaign_a)
    assert {key: shown[key] for key in expected} == expected
    assert shown["failed"] == 1
    assert [row["failed"] for row in shown["funnel"]] == [1]


def test_a_sequences_page_counts_its_enrollments_once_for_its_line_and_its_steps(
    client_a, campaign_a
):
    Campaign.objects.filter(pk=campaign_a.pk).update(
        type=Campaign.Type.SEQUENCE, status=Campaign.Status.ACTIVE
    )
    url = reverse("admin:campaigns_campaign_change", args=[campaign_a.pk])
    counted = [
        sql
        for sql in queries(client_a, url)
        if 'FROM "campaigns_enrollment"' in sql and "GROUP BY" in sql
    ]
    assert len(counted) == 1
