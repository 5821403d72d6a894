"""The admin for sending accounts, campaigns, steps and the message log."""

from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin, StackedInline
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import display

from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from crm.tenancy import TenantScopedAdmin

STATUS_COLOURS = {
    MessageLog.Status.QUEUED: "info",
    MessageLog.Status.SENDING: "info",
    MessageLog.Status.SENT: "primary",
    MessageLog.Status.DELIVERED: "primary",
    MessageLog.Status.OPENED: "success",
    MessageLog.Status.CLICKED: "success",
    MessageLog.Status.REPLIED: "success",
    MessageLog.Status.BOUNCED: "danger",
    MessageLog.Status.FAILED: "danger",
    MessageLog.Status.UNSUBSCRIBED: "warning",
    MessageLog.Status.SKIPPED: "warning",
    MessageLog.Status.UNKNOWN: "warning",
}


@admin.register(EmailAccount)
class EmailAccountAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = [
        "email_address",
        "display_name",
        "provider",
        "state",
        "is_primary",
        "daily_limit",
        "user",
    ]
    list_filter = ["provider", "is_active", "needs_reconnect"]
    search_fields = ["email_address", "display_name"]
    # Tokens are never shown or edited in the admin; the OAuth flow sets them.
    exclude = ["access_token", "refresh_token", "token_expires_at", "user"]
    readonly_fields = ["needs_reconnect", "last_error", "created_at", "updated_at"]

    @display(
        description="State",
        label={"active": "success", "reconnect": "danger", "inactive": "warning"},
    )
    def state(self, obj: EmailAccount) -> tuple[str, str]:
        if obj.needs_reconnect:
            return "reconnect", "Reconnect needed"
        return ("active", "Active") if obj.is_active else ("inactive", "Disconnected")

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        # Accounts are created by connecting a mailbox (OAuth), never typed in.
        return False


class StepInline(StackedInline):
    model = CampaignStep
    extra = 0
    fields = ["order", "offset_days", "subject", "body_template", "text_template"]
    tab = True


@admin.register(Campaign)
class CampaignAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = ["name", "type", "status_badge", "email_account", "step_count", "updated_at"]
    list_filter = ["type", "status"]
    list_filter_submit = True
    search_fields = ["name"]
    list_select_related = ["email_account"]
    inlines = [StepInline]
    warn_unsaved_form = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return (
            super()
            .get_queryset(request)
            .annotate(steps_total=Count("steps"))
            .order_by("-created_at")
        )

    @display(
        description="Status",
        ordering="status",
        label={
            Campaign.Status.DRAFT: "info",
            Campaign.Status.ACTIVE: "success",
            Campaign.Status.PAUSED: "warning",
            Campaign.Status.COMPLETED: "primary",
        },
    )
    def status_badge(self, obj: Campaign) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Steps", ordering="steps_total")
    def step_count(self, obj: Campaign) -> int:
        return obj.steps_total


@admin.register(CampaignStep)
class CampaignStepAdmin(TenantScopedAdmin, ModelAdmin):
    tenant_path = "campaign__organization"
    list_display = ["campaign", "order", "offset_days", "subject"]
    list_filter = [("campaign", RelatedOnlyFieldListFilter)]
    search_fields = ["subject", "campaign__name"]
    list_select_related = ["campaign"]
    autocomplete_fields = ["campaign"]
    warn_unsaved_form = True


@admin.register(MessageLog)
class MessageLogAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = ["to_email", "subject", "campaign", "status_badge", "sent_at", "created_at"]
    list_filter = [
        "status",
        ("campaign", RelatedOnlyFieldListFilter),
        ("sent_at", RangeDateFilter),
    ]
    list_filter_submit = True
    search_fields = ["to_email", "subject", "provider_message_id"]
    list_select_related = ["campaign"]
    # The log is a record of what happened: nobody edits it by hand.
    readonly_fields = [field.name for field in MessageLog._meta.fields]
    show_full_result_count = False

    @display(description="Status", ordering="status", label=STATUS_COLOURS)
    def status_badge(self, obj: MessageLog) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deleting a row would let its (step, lead) be sent again.
        return False
