"""Export of the message log (CSV, XLSX...), formula-safe like every export."""

from import_export import fields

from campaigns.models import MessageLog
from crm.resources import FormulaSafeResource


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
            "open_count",
            "click_count",
            "error_message",
            "provider_message_id",
        )
        export_order = fields
