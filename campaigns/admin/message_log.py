"""The admin of the message log (every message and what came of it) and of sequence
enrolments."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from campaigns.admin.message_filters import LinkFilter, OutcomeFilter, StepFilter, WhyFilter
from campaigns.admin.resources import MessageLogResource
from campaigns.models import (
    STOPPED_BY_STAFF,
    Enrollment,
    EnrollmentQuerySet,
    MessageLog,
)
from campaigns.outbox import failures
from crm.site.changelist import EMPTY_CELL
from crm.site.export_admin import SpreadsheetExportAdmin
from crm.site.tenancy import TenantRelatedFilter, TenantScopedAdmin
from crm.site.timezones import LocalDayRangeFilter

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
        OutcomeFilter,
        "status",
        ("campaign", TenantRelatedFilter),
        ("sent_at", LocalDayRangeFilter),
        # Set by the campaign page's links (who clicked which link, why they failed).
        StepFilter,
        LinkFilter,
        WhyFilter,
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
        """Why a message ended as it did: the bounce or failure reason, the reply's date; one
        dash when there is nothing to say (a message sent, opened...), as every empty cell."""
        if obj.status == MessageLog.Status.REPLIED and obj.replied_at:
            return f"Replied {timezone.localtime(obj.replied_at):%Y-%m-%d %H:%M}"
        return Truncator(failures.in_words(obj.error_message)).chars(90) or EMPTY_CELL

    @display(description="Why")
    def reason(self, obj: MessageLog) -> str:
        return failures.in_words(obj.error_message) or EMPTY_CELL

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
    readonly_fields = ("lead", "campaign", "state_badge", "next_step", "next_due_at", "started_at")
    fields = readonly_fields
    actions = ["remove_from_sequence"]
    show_full_result_count = False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The campaign page links a step's "Waiting" to the leads whose next step it is.
        return lookup == "next_order" or super().lookup_allowed(lookup, value, request)

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
    def remove_from_sequence(self, request: HttpRequest, queryset: EnrollmentQuerySet) -> None:
        stopped = queryset.stop(STOPPED_BY_STAFF)
        note = ngettext("%(n)s enrollment stopped.", "%(n)s enrollments stopped.", stopped)
        self.message_user(request, note % {"n": f"{stopped:,}"}, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
