"""The admin for sending accounts, campaigns, steps and the message log."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, StackedInline
from unfold.decorators import action, display
from unfold.paginator import InfinitePaginator

from campaigns.ab_tests import ab_test_page
from campaigns.admin import ab_test_pick, listing_alert_admin, live_preview, pages
from campaigns.admin.forms import (
    AB_TEST_FIELDS,
    STEP_HAS_SENT,
    CampaignForm,
    StepForm,
    StepFormSet,
)
from campaigns.admin.resources import CampaignResultsResource, MessageLogResource
from campaigns.audiences import audience
from campaigns.models import (
    STOPPED_BY_STAFF,
    Campaign,
    CampaignStatusError,
    CampaignStep,
    EmailAccount,
    Enrollment,
    MessageLog,
)
from campaigns.outbox import failures
from campaigns.planner.page import plan_page
from campaigns.reporting import campaign_list, campaign_live
from crm.site.export_admin import SpreadsheetExportAdmin
from crm.site.tenancy import TenantRelatedFilter, TenantScopedAdmin
from crm.site.timezones import LocalDayRangeFilter

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
    actions_row = ["plan", "make_primary", "reconnect", "disconnect"]
    actions_detail = ["plan", "reconnect"]

    @action(description="Send plan", icon="event_upcoming", url_path="plan")
    def plan(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return plan_page(self, request, object_id)

    @action(description="Make primary", icon="star", url_path="make-primary")
    def make_primary(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self.get_object(request, object_id)
        changelist = reverse("admin:campaigns_emailaccount_changelist")
        if account is None or not account.is_active:
            messages.error(request, "Only a connected account of yours can be made primary.")
            return HttpResponseRedirect(changelist)
        if request.method != "POST":
            return pages.confirmation(
                self,
                request,
                title=f"Make {account.email_address} the primary sender?",
                explanation=(
                    f"Campaigns of {account.organization} that name no sending account "
                    "will send from it."
                ),
                button="Make primary",
                back=changelist,
                icon="star",
            )
        account.make_primary()
        messages.success(request, f"{account.email_address} is now the primary sender.")
        return HttpResponseRedirect(changelist)

    @action(description="Connect Gmail", icon="add_link", url_path="connect-gmail")
    def connect_gmail(self, request: HttpRequest) -> HttpResponse:
        return pages.gmail_connect(self, request)

    @action(description="Reconnect", icon="sync", url_path="reconnect")
    def reconnect(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return pages.gmail_reconnect(self, request, object_id)

    @action(description="Disconnect", icon="link_off", url_path="disconnect")
    def disconnect(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return pages.gmail_disconnect(self, request, object_id)

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
    """The steps, written on the campaign page beside their live preview."""

    model = CampaignStep
    form = StepForm
    formset = StepFormSet
    extra = 0  # the fields are the form's
    tab = True
    template = "admin/campaigns/campaign/steps_inline.html"

    # A launched blast's steps are what was sent: shown, not edited (see Campaign.steps_locked).
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _steps_editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _steps_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _steps_editable(obj) and super().has_delete_permission(request, obj)


def _steps_editable(campaign: Campaign | None) -> bool:
    return campaign is None or not campaign.steps_locked


NOTHING_TO_DO = "Nothing to {verb}: this campaign is {status}."
NOTHING_LEFT = "Nothing to {verb}: this campaign has nothing left to send."
STATES_OF = {
    "pause": [Campaign.Status.ACTIVE],
    "cancel": [Campaign.Status.ACTIVE, Campaign.Status.PAUSED],
}


def _marked(name: str) -> dict[str, str]:
    """The action's button names it, so the live page can hide what no longer applies."""
    return {"data-action": name}


SEQUENCE_FIELDS = [
    "enroll_new_leads",
    "window_start",
    "window_end",
    "send_on_weekends",
    "thread_follow_ups",
    "auto_reply_hold_days",
]


@admin.register(Campaign)
class CampaignAdmin(
    TenantScopedAdmin, campaign_list.ResultsColumns, ModelAdmin, SpreadsheetExportAdmin
):
    form = CampaignForm
    resource_classes = [CampaignResultsResource]
    list_display = [
        "name",
        "type",
        "status_badge",
        "progress",
        "sent",
        "open_rate",
        "click_rate",
        "reply_rate",
        "launched_at",
    ]
    list_filter = ["type", "status"]
    list_filter_submit = True
    search_fields = ["name"]
    list_select_related = ["email_account"]
    autocomplete_fields = ["chosen_leads"]
    inlines = [StepInline]
    warn_unsaved_form = True
    change_form_before_template = "admin/campaigns/campaign/summary.html"
    change_form_after_template = "admin/campaigns/campaign/listing_alerts.html"
    # A listing alert campaign's audience is each listing's fitting leads: no audience fields.
    conditional_fields = {
        "audience": "type != 'listing_alert'",
        "chosen_leads": "audience == 'chosen' && type != 'listing_alert'",
        **{
            f"filter_{key}": "audience == 'filter' && type != 'listing_alert'"
            for key in audience.FILTER_KEYS
        },
        **{name: "type == 'sequence'" for name in SEQUENCE_FIELDS},
        **{name: "type == 'blast'" for name in AB_TEST_FIELDS},
        **{name: "type == 'listing_alert'" for name in listing_alert_admin.ALERT_FIELDS},
    }
    fieldsets = [
        (None, {"fields": ["organization", "name", "type", "email_account", "send_from_agents"]}),
        ("Listing alert", {"fields": listing_alert_admin.ALERT_FIELDS}),
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
        ("A/B subject test", {"fields": AB_TEST_FIELDS, "description": ab_test_page.SETTINGS_HELP}),
        ("Tracking", {"fields": ["track_opens", "track_clicks"]}),
    ]
    actions_detail = ["launch", "pause", "resume", "cancel", "preview", "duplicate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return super().get_queryset(request).order_by("-created_at")

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

    def render_change_form(self, request: HttpRequest, context: dict, *args: Any, **kwargs: Any):
        campaign = context.get("original")
        context["merge_fields"] = live_preview.MERGE_FIELDS
        if campaign is not None:
            if campaign.status == Campaign.Status.DRAFT:
                context["audience_size"] = audience.sizes(audience.audience_of(campaign))
            else:
                context["live"], context["results"] = campaign_live.campaign_page(campaign)
                context["poll_seconds"] = campaign_live.POLL_SECONDS
        return super().render_change_form(request, context, *args, **kwargs)

    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list:
        """Only the actions that mean something in the campaign's state: no Launch once
        launched, no Pause or Cancel for a blast with nothing left to send."""
        actions = super().get_actions_detail(request, object_id)
        campaign = self.get_object(request, object_id) if object_id else None
        if campaign is None:
            return actions
        allowed = campaign_live.available_actions(campaign, campaign_live.waiting_count(campaign))
        return [action for action in actions if action.method.__name__ in allowed]

    def _refused(self, request: HttpRequest, campaign: Campaign, verb: str) -> HttpResponse:
        """An action that no longer applies (a page left open, Back, a second tab): back to
        the campaign, saying why, rather than a bare 403."""
        if campaign.status in STATES_OF.get(verb, []):
            # The state allows it, but the blast has nothing left to send.
            messages.info(request, NOTHING_LEFT.format(verb=verb))
        else:
            status = campaign.get_status_display().lower()
            if campaign.status == Campaign.Status.DRAFT:
                status = "a draft"
            messages.info(request, NOTHING_TO_DO.format(verb=verb, status=status))
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))

    @action(description="Launch…", icon="rocket_launch", url_path="launch", attrs=_marked("launch"))
    def launch(self, request: HttpRequest, object_id: str) -> HttpResponse:
        campaign = self.get_object(request, object_id)
        if campaign is not None:
            elsewhere = listing_alert_admin.launched_elsewhere(self, request, campaign)
            if elsewhere is not None:
                return elsewhere
        return pages.campaign_launch(self, request, object_id)

    @action(description="Pause", icon="pause", url_path="pause", attrs=_marked("pause"))
    def pause(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._switch(
            request,
            object_id,
            Campaign.pause,
            button="Pause",
            icon="pause",
            explanation="Nothing more is sent until you resume. Messages being sent right "
            "now finish.",
            done="Paused: nothing more is sent until you resume. Messages being sent right "
            "now finish.",
        )

    @action(description="Resume", icon="play_arrow", url_path="resume", attrs=_marked("resume"))
    def resume(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._switch(
            request,
            object_id,
            Campaign.resume,
            button="Resume",
            icon="play_arrow",
            explanation="Sending starts again where it stopped. A sequence's due times move "
            "by the length of the pause.",
            done="Resumed.",
        )

    @action(description="Cancel…", icon="cancel", url_path="cancel", attrs=_marked("cancel"))
    def cancel(self, request: HttpRequest, object_id: str) -> HttpResponse:
        campaign = self.get_object(request, object_id)
        if campaign is None:
            raise Http404("No such campaign.")
        waiting = campaign_live.waiting_count(campaign)
        if "cancel" not in campaign_live.available_actions(campaign, waiting):
            return self._refused(request, campaign, "cancel")
        return pages.campaign_cancel(self, request, campaign)

    def _switch(
        self,
        request: HttpRequest,
        object_id: str,
        service: Any,
        *,
        button: str,
        icon: str,
        explanation: str,
        done: str,
    ) -> HttpResponse:
        """Pause or resume: a GET shows what it does, the POST does it."""
        campaign = self.get_object(request, object_id)
        if campaign is None:
            raise Http404("No such campaign.")
        waiting = campaign_live.waiting_count(campaign)
        if button.lower() not in campaign_live.available_actions(campaign, waiting):
            return self._refused(request, campaign, button.lower())
        change = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
        if request.method != "POST":
            return pages.confirmation(
                self,
                request,
                title=f"{button} “{campaign.name}”?",
                explanation=explanation,
                button=button,
                back=change,
                icon=icon,
            )
        try:
            service(campaign)
        except CampaignStatusError as refused:
            messages.warning(request, str(refused))
        else:
            messages.success(request, done)
        return HttpResponseRedirect(change)

    @action(
        description="Duplicate…",
        icon="content_copy",
        url_path="duplicate",
        attrs=_marked("duplicate"),
    )
    def duplicate(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return pages.campaign_duplicate(self, request, object_id)

    @action(
        description="Preview and test",
        icon="visibility",
        url_path="preview",
        attrs=_marked("preview"),
    )
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
        preview = self.admin_site.admin_view(self.step_preview_view)
        pick = self.admin_site.admin_view(self.ab_winner_view)
        return [
            path("step-preview.json", preview, name="campaigns_campaign_step_preview"),
            path("<path:object_id>/progress.json", view, name="campaigns_campaign_progress"),
            path("<path:object_id>/ab-winner/", pick, name="campaigns_campaign_ab_winner"),
            *super().get_urls(),
        ]

    def step_preview_view(self, request: HttpRequest) -> HttpResponse:
        return live_preview.step_preview_json(self, request)

    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return pages.campaign_progress_json(self, request, object_id)

    def ab_winner_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return ab_test_pick.ab_winner_pick(self, request, object_id)


@admin.register(CampaignStep)
class CampaignStepAdmin(TenantScopedAdmin, ModelAdmin):
    """Steps are written on their campaign's page; this admin serves a step's full preview
    (with the test send) and keeps steps that have sent from being deleted."""

    tenant_path = "campaign__organization"
    list_display = ["campaign", "label", "is_active"]
    list_filter = [("campaign", TenantRelatedFilter)]
    search_fields = ["name", "subject", "campaign__name"]
    list_select_related = ["campaign__organization"]
    autocomplete_fields = ["campaign"]
    warn_unsaved_form = True
    actions_detail = ["open_preview"]

    @display(description="Step")
    def label(self, obj: CampaignStep) -> str:
        return obj.label()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False  # not a menu of its own: steps live on the campaign page

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
        return pages.step_preview(self, request, object_id)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        locked = obj is not None and obj.campaign.steps_locked
        return not locked and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        locked = obj is not None and obj.campaign.steps_locked
        return not locked and super().has_delete_permission(request, obj)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        step = self.get_object(request, object_id)
        if step is not None and step.message_logs.exists():
            messages.error(request, STEP_HAS_SENT)
            return HttpResponseRedirect(
                reverse("admin:campaigns_campaignstep_change", args=[object_id])
            )
        return super().delete_view(request, object_id, extra_context)


@admin.register(MessageLog)
class MessageLogAdmin(TenantScopedAdmin, ModelAdmin, SpreadsheetExportAdmin):
    resource_classes = [MessageLogResource]
    list_display = [
        "to_email",
        "subject_column",
        "campaign",
        "status_badge",
        "outcome",
        "sent_at",
        "created_at",
    ]
    list_filter = [
        "status",
        ("campaign", TenantRelatedFilter),
        ("sent_at", LocalDayRangeFilter),
    ]
    list_filter_submit = True
    search_fields = ["to_email", "subject", "provider_message_id"]
    list_select_related = ["campaign", "campaign_step__campaign__organization"]
    # The log is a record of what happened: nobody edits it by hand. Staff read what was
    # sent and what came of it; the identifiers and raw texts are the superuser's.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "campaign",
                    "campaign_step",
                    "lead",
                    "to_email",
                    "email_account",
                    "subject",
                    "variant",
                    "status",
                    "reason",
                ]
            },
        ),
        (
            "What happened",
            {
                "fields": [
                    "created_at",
                    "sent_at",
                    "opened_at",
                    "clicked_at",
                    "links_clicked",
                    "replied_at",
                    "bounced_at",
                    "unsubscribed_at",
                ]
            },
        ),
        ("As sent", {"fields": ["rendered_body"]}),
    ]
    technical_fieldset = (
        "Technical details",
        {
            "classes": ["collapse"],
            "fields": [
                "id",
                "is_test",
                "dispatch",
                "message_id",
                "in_reply_to",
                "provider_message_id",
                "thread_id",
                "claimed_at",
                "updated_at",
                "open_count",
                "click_count",
                "prefetch_count",
                "links",
                "error_message",
                "body_html",
                "body_text",
            ],
        },
    )
    readonly_fields = [
        *(field.name for field in MessageLog._meta.fields),
        "reason",
        "links_clicked",
        "rendered_body",
    ]
    # Millions of rows: pages go Previous / Next without counting the log on every view.
    paginator = InfinitePaginator
    show_full_result_count = False
    list_disable_select_all = True

    @display(description="Status", ordering="status", label=STATUS_COLOURS)
    def status_badge(self, obj: MessageLog) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Subject", ordering="subject")
    def subject_column(self, obj: MessageLog) -> str:
        return obj.subject_shown

    @display(description="Detail")
    def outcome(self, obj: MessageLog) -> str:
        """Why a message ended as it did: the bounce or failure reason, the reply's date."""
        if obj.status == MessageLog.Status.REPLIED and obj.replied_at:
            return f"Replied {timezone.localtime(obj.replied_at):%Y-%m-%d %H:%M}"
        return Truncator(failures.in_words(obj.error_message)).chars(90)

    @display(description="Why")
    def reason(self, obj: MessageLog) -> str:
        return failures.in_words(obj.error_message) or "–"

    @display(description="Links clicked")
    def links_clicked(self, obj: MessageLog) -> str:
        urls = obj.link_clicks.order_by("clicked_at").values_list("url", flat=True)
        return ", ".join(dict.fromkeys(urls)) or "–"

    @display(description="The email")
    def rendered_body(self, obj: MessageLog) -> str:
        """The HTML as the lead's mail program shows it, in a frame that runs nothing."""
        if not obj.body_html:
            return "–"
        return format_html(
            '<iframe sandbox="" srcdoc="{}" title="The email as the lead sees it" '
            'id="message-body" class="w-full bg-white border border-base-200 '
            'rounded-default" style="min-height: 360px"></iframe>',
            obj.body_html,
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        # Nothing went wrong: no "Why"; no A/B subject test: no variant.
        empty = {"reason": not obj.error_message, "variant": not obj.variant} if obj else {}
        if any(empty.values()):
            (name, options), *rest = fieldsets
            fields = [field for field in options["fields"] if not empty.get(field)]
            fieldsets = [(name, {**options, "fields": fields}), *rest]
        return [*fieldsets, self.technical_fieldset] if request.user.is_superuser else fieldsets

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deleting a row would let its (step, lead) be sent again.
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = ["lead", "campaign", "state_badge", "next_step", "next_due_at", "started_at"]
    list_filter = ["state", ("campaign", TenantRelatedFilter)]
    list_filter_submit = True
    search_fields = ["lead__name", "lead__email", "campaign__name"]
    list_select_related = ["lead", "campaign"]
    fields = ["lead", "campaign", "state_badge", "next_step", "next_due_at", "started_at"]
    readonly_fields = fields
    actions = ["remove_from_sequence"]
    show_full_result_count = False

    @display(
        description="State",
        ordering="state",
        label={"active": "success", "completed": "primary", "stopped": "warning"},
    )
    def state_badge(self, obj: Enrollment) -> tuple[str, str]:
        label = obj.get_state_display()
        reason = failures.in_words(obj.stop_reason)
        return obj.state, f"{label}: {reason}" if reason else label

    @display(description="Next step", ordering="next_order")
    def next_step(self, obj: Enrollment) -> str:
        return f"Step {obj.next_order}" if obj.state == Enrollment.State.ACTIVE else "–"

    @admin.action(description="Remove from the sequence")
    def remove_from_sequence(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        stopped = queryset.stop(STOPPED_BY_STAFF)
        note = ngettext("%(n)s enrollment stopped.", "%(n)s enrollments stopped.", stopped)
        self.message_user(request, note % {"n": f"{stopped:,}"}, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
