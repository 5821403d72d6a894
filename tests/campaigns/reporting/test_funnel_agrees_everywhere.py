"""One funnel (MessageLogQuerySet.funnel): the campaign page, the campaign export and the
home dashboard count each stage of a campaign's messages the same way. A reply counts when
one was received (replied_at), whatever the status shows since."""

from typing import Any

from django.utils import timezone

from campaigns.admin import resources
from campaigns.models import Campaign, MessageLog
from campaigns.reporting import progress, stats
from crm.models import Lead

Status = MessageLog.Status
STAGES = ("sent", "opened", "clicked", "replied", "bounced", "unsubscribed", "failed")


def test_the_campaign_page_the_export_and_the_dashboard_agree(campaign_a, org_a):
    now = timezone.now()
    step = campaign_a.steps.get()
    outcomes: list[dict[str, Any]] = [
        {"status": Status.SENT, "sent_at": now},
        {"status": Status.OPENED, "sent_at": now, "opened_at": now},
        {"status": Status.CLICKED, "sent_at": now, "opened_at": now, "clicked_at": now},
        {"status": Status.REPLIED, "sent_at": now, "replied_at": now},
        # Replied, then unsubscribed: the status shows the latest.
        {"status": Status.UNSUBSCRIBED, "sent_at": now, "replied_at": now, "unsubscribed_at": now},
        # Marked replied with no reply on record: not a reply.
        {"status": Status.REPLIED, "sent_at": now},
        {"status": Status.BOUNCED, "sent_at": now, "bounced_at": now},
        {"status": Status.FAILED, "error_message": "Invalid To header"},
        {"status": Status.SKIPPED},
        {"status": Status.QUEUED},
    ]
    for n, fields in enumerate(outcomes):
        lead = Lead.objects.create(organization=org_a, name=f"L{n}", email=f"l{n}@example.com")
        MessageLog.objects.create(
            organization=org_a, campaign=campaign_a, campaign_step=step, lead=lead, **fields
        )
    Campaign.objects.filter(pk=campaign_a.pk).launch()

    [page] = progress.step_funnel(campaign_a)
    export = resources.result_counts(Campaign.objects.filter(pk=campaign_a.pk))[campaign_a.pk]
    dashboard = stats.figures([org_a.pk], timezone.now()).by_campaign[campaign_a.pk]
    expected = {
        "sent": 7, "opened": 2, "clicked": 1, "replied": 2, "bounced": 1, "unsubscribed": 1,
        "failed": 1,
    }  # fmt: skip
    assert {stage: page[stage] for stage in STAGES} == expected
    assert {stage: export[stage] for stage in STAGES} == expected
    assert {stage: dashboard[stage] for stage in STAGES} == expected
