"""The admin for sending accounts, campaigns, steps and the message log."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import Truncator
from import_export.admin import ExportActionModelAdmin
from unfold.admin import ModelAdmin, StackedInline
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.contrib.import_export.forms import SelectableFieldsExportForm
from unfold.decorators import action, display
from unfold.paginator import InfinitePaginator

from campaigns import admin_views, audience, dashboard, dispatch, oauth, sequences
from campaigns.forms import CampaignForm
from campaigns.models import Campaign, CampaignStep, EmailAccount, Enrollment, MessageLog
from campaigns.progress import campaign_progress, enrollment_counts, progress_and_funnel
from campaigns.resources import CampaignResultsResource, MessageLogResource
from crm.tenancy import TenantRelatedFilter, TenantScopedAdmin

NEEDS_PERMISSION = (
    "Reply and bounce detection needs Google's permission to read message headers: use "
    "“Reconnect” on this account and allow it."
)
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
        "replies",
        "user",
    ]
    list_filter = ["provider", "is_active", "needs_reconnect", "detect_replies"]
    search_fields = ["email_address", "display_name"]
    # Tokens are never shown or edited in the admin; the OAuth flow sets them.
    exclude = ["access_token", "refresh_token", "token_expires_at", "user"]
    readonly_fields = [
        "provider",
        "needs_reconnect",
        "paused_until",
        "last_error",
        "reply_detection",
        "created_at",
        "updated_at",
    ]
    actions_list = ["connect_gmail"]
    actions_row = ["make_primary", "reconnect", "disconnect"]
    actions_detail = ["reconnect"]

    @action(description="Make primary", icon="star", url_path="make-primary")
    def make_primary(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self.get_object(request, object_id)
        if account is None or not account.is_active:
            messages.error(request, "Only a connected account of yours can be made primary.")
        else:
            account.make_primary()
            messages.success(request, f"{account.email_address} is now the primary sender.")
        return HttpResponseRedirect(reverse("admin:campaigns_emailaccount_changelist"))

    @action(description="Connect Gmail", icon="add_link", url_path="connect-gmail")
    def connect_gmail(self, request: HttpRequest) -> HttpResponse:
        return admin_views.gmail_connect(self, request)

    @action(description="Reconnect", icon="sync", url_path="reconnect")
    def reconnect(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Google's consent again, asking for what the account needs now (reply detection)."""
        account = self.get_object(request, object_id)
        if account is None:
            raise Http404("No such account.")
        return HttpResponseRedirect(
            oauth.start(
                request.session, account.organization, detect_replies=account.detect_replies
            )
        )

    @action(description="Disconnect", icon="link_off", url_path="disconnect")
    def disconnect(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.gmail_disconnect(self, request, object_id)

    @display(
        description="State",
        label={"active": "success", "reconnect": "danger", "inactive": "warning"},
    )
    def state(self, obj: EmailAccount) -> tuple[str, str]:
        if obj.needs_reconnect:
            return "reconnect", "Reconnect needed"
        return ("active", "Active") if obj.is_active else ("inactive", "Disconnected")

    @display(
        description="Replies & bounces",
        label={"on": "success", "off": "info", "attention": "warning"},
    )
    def replies(self, obj: EmailAccount) -> tuple[str, str]:
        if not obj.detect_replies:
            return "off", "Off"
        if obj.may_read_headers and not obj.needs_reconnect:
            return "on", "On"
        return "attention", "Needs reconnecting"

    @display(description="Reply and bounce detection")
    def reply_detection(self, obj: EmailAccount) -> str:
        if not obj.detect_replies:
            return "Off."
        if obj.needs_reconnect:
            return "Paused until the account is reconnected."
        if not obj.may_read_headers:
            return obj.replies_error or NEEDS_PERMISSION
        checked = obj.replies_checked_at
        when = (
            f"last checked {timezone.localtime(checked):%Y-%m-%d %H:%M}"
            if checked
            else ("not checked yet")
        )
        problem = f" Last check: {obj.replies_error}" if obj.replies_error else ""
        return f"On, {when}.{problem}"

    def save_model(self, request: HttpRequest, obj: EmailAccount, form: Any, change: bool):
        super().save_model(request, obj, form, change)
        if obj.detect_replies and not obj.may_read_headers:
            messages.warning(request, NEEDS_PERMISSION)

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        # Accounts are created by connecting a mailbox (OAuth), never typed in.
        return False


class StepInline(StackedInline):
    model = CampaignStep
    extra = 0
    fields = ["order", "offset_days", "is_active", "subject", "body_template", "text_template"]
    tab = True


STEP_HAS_SENT = (
    "This step has already sent messages, so it cannot be deleted (their history would be "
    "lost). Untick “is active” to stop sending it."
)
SEQUENCE_FIELDS = [
    "enroll_new_leads",
    "window_start",
    "window_end",
    "send_on_weekends",
    "thread_follow_ups",
]


@admin.register(Campaign)
class CampaignAdmin(TenantScopedAdmin, ModelAdmin, ExportActionModelAdmin):
    form = CampaignForm
    resource_classes = [CampaignResultsResource]
    export_form_class = SelectableFieldsExportForm
    list_display = ["name", "type", "status_badge", "email_account", "step_count", "updated_at"]
    list_filter = ["type", "status"]
    list_filter_submit = True
    search_fields = ["name"]
    list_select_related = ["email_account"]
    autocomplete_fields = ["chosen_leads"]
    inlines = [StepInline]
    warn_unsaved_form = True
    change_form_before_template = "admin/campaigns/campaign/summary.html"
    conditional_fields = {
        "chosen_leads": "audience == 'chosen'",
        **{f"filter_{key}": "audience == 'filter'" for key in audience.FILTER_KEYS},
        **{name: "type == 'sequence'" for name in SEQUENCE_FIELDS},
    }
    fieldsets = [
        (None, {"fields": ["organization", "name", "type", "email_account"]}),
        (
            "Audience",
            {
                "fields": [
                    "audience",
                    "chosen_leads",
                    "filter_status",
                    "filter_city",
                    "filter_source",
                    "filter_budget_min",
                    "filter_created_from",
                    "filter_created_to",
                ]
            },
        ),
        ("Sequence schedule", {"fields": SEQUENCE_FIELDS}),
        ("Tracking", {"fields": ["track_opens", "track_clicks"]}),
    ]
    actions_detail = ["launch", "pause", "resume", "cancel", "preview"]

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

    def render_change_form(self, request: HttpRequest, context: dict, *args: Any, **kwargs: Any):
        campaign = context.get("original")
        if campaign is not None:
            if campaign.status == Campaign.Status.DRAFT:
                context["progress"] = campaign_progress(campaign)
                context["audience_size"] = audience.sizes(audience.audience_of(campaign))
            else:
                context["progress"], context["funnel"] = progress_and_funnel(campaign)
                context["results"] = dashboard.campaign_results(campaign)
            if campaign.type == Campaign.Type.SEQUENCE:
                context["enrollments"] = enrollment_counts(campaign)
        return super().render_change_form(request, context, *args, **kwargs)

    def _in_status(self, request: HttpRequest, object_id: str, *statuses: str) -> bool:
        # Each action button of the page asks: the campaign is read once per request.
        read = request.__dict__.setdefault("_campaigns_read", {})
        if object_id not in read:
            read[object_id] = self.get_object(request, object_id) if object_id else None
        campaign = read[object_id]
        return campaign is not None and campaign.status in statuses

    def has_launch_permission(self, request: HttpRequest, object_id: str = "") -> bool:
        return self._in_status(request, object_id, Campaign.Status.DRAFT)

    def has_pause_permission(self, request: HttpRequest, object_id: str = "") -> bool:
        return self._in_status(request, object_id, Campaign.Status.ACTIVE)

    def has_resume_permission(self, request: HttpRequest, object_id: str = "") -> bool:
        return self._in_status(request, object_id, Campaign.Status.PAUSED)

    def has_cancel_permission(self, request: HttpRequest, object_id: str = "") -> bool:
        return self._in_status(request, object_id, Campaign.Status.ACTIVE, Campaign.Status.PAUSED)

    @action(description="Launch…", icon="rocket_launch", url_path="launch", permissions=["launch"])
    def launch(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.campaign_launch(self, request, object_id)

    @action(description="Pause", icon="pause", url_path="pause", permissions=["pause"])
    def pause(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._switch(
            request,
            object_id,
            dispatch.campaign_pause,
            "Paused: nothing more is sent until you resume. Messages being sent right now finish.",
        )

    @action(description="Resume", icon="play_arrow", url_path="resume", permissions=["resume"])
    def resume(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._switch(request, object_id, sequences.sequence_resume, "Resumed.")

    @action(description="Cancel…", icon="cancel", url_path="cancel", permissions=["cancel"])
    def cancel(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.campaign_cancel(self, request, object_id)

    def _switch(self, request: HttpRequest, object_id: str, service: Any, done: str):
        campaign = self.get_object(request, object_id)
        if campaign is None:
            raise Http404("No such campaign.")
        if service(campaign):
            messages.success(request, done)
        else:
            messages.warning(request, f"Nothing to do: the campaign is {campaign.status}.")
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[object_id]))

    @action(description="Preview and test", icon="visibility", url_path="preview")
    def preview(self, request: HttpRequest, object_id: str) -> HttpResponse:
        campaign = self.get_object(request, object_id)
        step = campaign.steps.order_by("order").first() if campaign else None
        if step is None:
            messages.warning(request, "Add a step to this campaign before previewing it.")
            return HttpResponseRedirect(
                reverse("admin:campaigns_campaign_change", args=[object_id])
            )
        return HttpResponseRedirect(reverse("admin:campaigns_campaignstep_preview", args=[step.pk]))

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.progress_view)
        return [
            path("<path:object_id>/progress.json", view, name="campaigns_campaign_progress"),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.campaign_progress_json(self, request, object_id)


@admin.register(CampaignStep)
class CampaignStepAdmin(TenantScopedAdmin, ModelAdmin):
    tenant_path = "campaign__organization"
    list_display = ["campaign", "order", "offset_days", "subject", "is_active"]
    list_filter = [("campaign", TenantRelatedFilter)]
    search_fields = ["subject", "campaign__name"]
    list_select_related = ["campaign"]
    autocomplete_fields = ["campaign"]
    warn_unsaved_form = True
    actions_detail = ["open_preview"]

    @action(description="Preview and test", icon="visibility", url_path="open-preview")
    def open_preview(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return HttpResponseRedirect(
            reverse("admin:campaigns_campaignstep_preview", args=[object_id])
        )

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.preview_view)
        return [
            path("<path:object_id>/preview/", view, name="campaigns_campaignstep_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_views.step_preview(self, request, object_id)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        step = self.get_object(request, object_id)
        if step is not None and step.message_logs.exists():
            messages.error(request, STEP_HAS_SENT)
            return HttpResponseRedirect(
                reverse("admin:campaigns_campaignstep_change", args=[object_id])
            )
        return super().delete_view(request, object_id, extra_context)


@admin.register(MessageLog)
class MessageLogAdmin(TenantScopedAdmin, ModelAdmin, ExportActionModelAdmin):
    resource_classes = [MessageLogResource]
    export_form_class = SelectableFieldsExportForm
    list_display = [
        "to_email",
        "subject",
        "campaign",
        "status_badge",
        "outcome",
        "sent_at",
        "created_at",
    ]
    list_filter = [
        "status",
        ("campaign", TenantRelatedFilter),
        ("sent_at", RangeDateFilter),
    ]
    list_filter_submit = True
    search_fields = ["to_email", "subject", "provider_message_id"]
    list_select_related = ["campaign"]
    # The log is a record of what happened: nobody edits it by hand.
    readonly_fields = [field.name for field in MessageLog._meta.fields]
    # Millions of rows: pages go Previous / Next without counting the log on every view.
    paginator = InfinitePaginator
    show_full_result_count = False
    list_disable_select_all = True

    @display(description="Status", ordering="status", label=STATUS_COLOURS)
    def status_badge(self, obj: MessageLog) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Detail")
    def outcome(self, obj: MessageLog) -> str:
        """Why a message ended as it did: the bounce or failure reason, the reply's date."""
        if obj.status == MessageLog.Status.REPLIED and obj.replied_at:
            return f"Replied {timezone.localtime(obj.replied_at):%Y-%m-%d %H:%M}"
        return Truncator(obj.error_message).chars(90)

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deleting a row would let its (step, lead) be sent again.
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = ["lead", "campaign", "state_badge", "next_order", "next_due_at", "started_at"]
    list_filter = ["state", ("campaign", TenantRelatedFilter)]
    list_filter_submit = True
    search_fields = ["lead__name", "lead__email", "campaign__name"]
    list_select_related = ["lead", "campaign"]
    readonly_fields = [field.name for field in Enrollment._meta.fields]
    actions = ["remove_from_sequence"]
    show_full_result_count = False

    @display(
        description="State",
        ordering="state",
        label={"active": "success", "completed": "primary", "stopped": "warning"},
    )
    def state_badge(self, obj: Enrollment) -> tuple[str, str]:
        label = obj.get_state_display()
        return obj.state, f"{label}: {obj.stop_reason}" if obj.stop_reason else label

    @admin.action(description="Remove from the sequence")
    def remove_from_sequence(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        stopped = sequences.stop(queryset, sequences.STOPPED_BY_STAFF)
        self.message_user(request, f"{stopped:,} enrollment(s) stopped.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
