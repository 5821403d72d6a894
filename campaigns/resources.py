"""Exports (CSV, XLSX...): the message log, and each campaign's results. Formula-safe like
every export."""

from typing import Any

from django.db.models import Count, Q, QuerySet
from import_export import fields, widgets

from campaigns.models import Campaign, MessageLog
from campaigns.progress import SENT_OR_LATER
from crm.resources import FormulaSafeResource

Status = MessageLog.Status


class MessageLogResource(FormulaSafeResource):
    campaign = fields.Field(attribute="campaign__name", column_name="campaign")
    step = fields.Field(attribute="campaign_step__order", column_name="step")
    lead = fields.Field(attribute="lead__name", column_name="lead")

    class Meta:
        model = MessageLog
        fields = (
            "created_at",
            "campaign",
            "step",
            "lead",
            "to_email",
            "subject",
            "status",
            "sent_at",
            "opened_at",
            "clicked_at",
            "replied_at",
            "bounced_at",
            "unsubscribed_at",
            "open_count",
            "click_count",
            "error_message",
            "provider_message_id",
        )
        export_order = fields


# Per campaign, from its (non-test) messages, in one aggregate query for the whole export.
RESULT_COUNTS = {
    "messages": Q(),
    "sent": Q(message_logs__status__in=SENT_OR_LATER),
    "opened": Q(message_logs__opened_at__isnull=False),
    "clicked": Q(message_logs__clicked_at__isnull=False),
    "replied": Q(message_logs__replied_at__isnull=False),
    "bounced": Q(message_logs__bounced_at__isnull=False),
    "unsubscribed": Q(message_logs__unsubscribed_at__isnull=False),
    "failed": Q(message_logs__status=Status.FAILED),
    "skipped": Q(message_logs__status=Status.SKIPPED),
}


class CampaignResultsResource(FormulaSafeResource):
    """One row per campaign with its funnel and rates (rates over the messages sent)."""

    account = fields.Field(attribute="email_account__email_address", column_name="sending account")
    open_rate = fields.Field(column_name="open rate %")
    click_rate = fields.Field(column_name="click rate %")
    reply_rate = fields.Field(column_name="reply rate %")
    bounce_rate = fields.Field(column_name="bounce rate %")

    class Meta:
        model = Campaign
        name = "Campaign results"
        fields = (
            "name",
            "type",
            "status",
            "account",
            "created_at",
            *RESULT_COUNTS,
            "open_rate",
            "click_rate",
            "reply_rate",
            "bounce_rate",
        )
        export_order = fields

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in RESULT_COUNTS:
            self.fields[name] = fields.Field(
                attribute=name, column_name=name, widget=widgets.IntegerWidget()
            )

    def filter_export(self, queryset: QuerySet[Campaign], **kwargs: Any) -> QuerySet[Campaign]:
        logs = Q(message_logs__is_test=False)
        return queryset.select_related("email_account").annotate(
            **{
                name: Count("message_logs", filter=logs & condition)
                for name, condition in RESULT_COUNTS.items()
            }
        )

    def _rate(self, campaign: Campaign, part: str) -> float | str:
        return round(100 * getattr(campaign, part) / campaign.sent, 1) if campaign.sent else ""

    def dehydrate_open_rate(self, campaign: Campaign) -> float | str:
        return self._rate(campaign, "opened") if campaign.track_opens else ""

    def dehydrate_click_rate(self, campaign: Campaign) -> float | str:
        return self._rate(campaign, "clicked") if campaign.track_clicks else ""

    def dehydrate_reply_rate(self, campaign: Campaign) -> float | str:
        return self._rate(campaign, "replied")

    def dehydrate_bounce_rate(self, campaign: Campaign) -> float | str:
        return self._rate(campaign, "bounced")
