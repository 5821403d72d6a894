"""The admin of campaigns and their steps: the campaign page, its actions by state, and the
step editor with its live preview."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, StackedInline
from unfold.decorators import action, display

from campaigns.ab_tests import ab_test_page, power
from campaigns.admin import ab_test_pick, listing_alert_admin, live_preview, pages
from campaigns.admin.forms import (
    AB_TEST_FIELDS,
    STEP_HAS_SENT,
    CampaignForm,
    StepForm,
    StepFormSet,
)
from campaigns.admin.resources import CampaignResultsResource
from campaigns.audiences import audience
from campaigns.models import (
    Campaign,
    CampaignQuerySet,
    CampaignStatusError,
    CampaignStep,
)
from campaigns.reporting import campaign_list, campaign_live
from crm.site.export_admin import SpreadsheetExportAdmin
from crm.site.tenancy import TenantRelatedFilter, TenantScopedAdmin


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
NOT_DELETED = _(
    "A launched campaign cannot be deleted: its messages are the record of what each lead "
    "was sent, and of who opted out. Once it is over, archive it: it leaves the lists and "
    "keeps its results."
)
NOT_ARCHIVABLE = _(
    "Only a finished campaign can be archived: cancel it first if it should send nothing more."
)
NOT_ARCHIVED_YET = _("This campaign is not archived.")
ARCHIVE_TEXTS = {
    "archive": {
        "title": _("Archive “{name}”?"),
        "explanation": _(
            "It leaves the campaign lists (the Archived filter shows it again). Its results, "
            "messages and history are kept, and so is what its leads opted out of. A launched "
            "campaign is never deleted: its messages are the record of what each lead was sent."
        ),
        "button": _("Archive"),
        "done": _("Archived: it no longer shows in the campaign lists; its results are kept."),
    },
    "unarchive": {
        "title": _("Bring “{name}” back to the lists?"),
        "explanation": _("It shows in the campaign lists again, as it was."),
        "button": _("Unarchive"),
        "done": _("Back in the campaign lists."),
    },
}
NOTHING_LEFT = "Nothing to {verb}: this campaign has nothing left to send."


def _marked(name: str) -> dict[str, str]:
    """The action's button names it, so the live page can hide what no longer applies."""
    return {"data-action": name}


WINDOW_FIELDS = ("window_start", "window_end", "send_on_weekends")
SEQUENCE_FIELDS = (
    "enroll_new_leads",
    "window_start",
    "window_end",
    "send_on_weekends",
    "thread_follow_ups",
    "auto_reply_hold_days",
)


class ArchivedFilter(admin.SimpleListFilter):
    """Archived campaigns leave the list unless asked for."""

    title = _("archived")
    parameter_name = "archived"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Archived")), ("all", _("All, archived too"))]

    def choices(self, changelist: Any) -> Any:
        # The default (no choice) is the campaigns in use, not "All".
        for index, choice in enumerate(super().choices(changelist)):
            yield {**choice, "display": _("Not archived")} if index == 0 else choice

    def queryset(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> Any:
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(archived_at__isnull=True)


def _ab_too_small(campaign: Campaign, sizes: tuple[int, int]) -> str:
    """A draft blast's A/B test too small to tell a useful difference, said before launch."""
    step = campaign.steps.order_by("order").first()
    if campaign.type != Campaign.Type.BLAST or step is None or len(step.variants()) < 2:
        return ""
    to_send = sizes[0] - sizes[1]
    letters = len(step.variants())
    return power.too_small(
        campaign, to_send * campaign.ab_share // 100 // letters, letters, to_send
    )


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
        "unsubscribe_rate",
        "click_rate",
        "reply_rate",
        "launched_at",
    ]
    list_filter = ["type", "status", ArchivedFilter]
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
        # A listing alert's email goes out within its send window too (listing_alerts).
        **{name: "type == 'sequence' || type == 'listing_alert'" for name in WINDOW_FIELDS},
        **{name: "type == 'blast'" for name in AB_TEST_FIELDS},
        **{name: "type == 'listing_alert'" for name in listing_alert_admin.ALERT_FIELDS},
    }
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "organization",
                    "name",
                    "type",
                    "language",
                    "email_account",
                    "send_from_agents",
                ]
            },
        ),
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
                    "filter_tags",
                    "filter_custom",
                    "filter_budget_min",
                    "filter_created_from",
                    "filter_created_to",
                ]
            },
        ),
        ("Schedule", {"fields": SEQUENCE_FIELDS}),
        ("A/B subject test", {"fields": AB_TEST_FIELDS, "description": ab_test_page.SETTINGS_HELP}),
        ("Tracking", {"fields": ["track_opens", "track_clicks"]}),
    ]
    # Offered as the campaign's status allows (get_actions_detail).
    actions_detail = [*campaign_live.BUTTONS, *campaign_live.KEEPING, *campaign_live.ALWAYS]
    actions = ["archive_selected"]

    def get_actions(self, request: HttpRequest) -> dict:
        # Deleting many at once would stop at the first launched one's messages: drafts are
        # deleted from their page, finished campaigns archived.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A launched campaign's messages are what each lead was sent: archived, not deleted.
        launched = obj is not None and obj.is_launched
        return not launched and super().has_delete_permission(request, obj)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        campaign = self.get_object(request, object_id)
        if campaign is not None and campaign.is_launched:
            messages.info(request, NOT_DELETED)
            return HttpResponseRedirect(
                reverse("admin:campaigns_campaign_change", args=[campaign.pk])
            )
        return super().delete_view(request, object_id, extra_context)

    @admin.action(description=_("Archive the selected finished campaigns"))
    def archive_selected(self, request: HttpRequest, queryset: CampaignQuerySet) -> None:
        archived = queryset.archive()
        left = queryset.filter(archived_at__isnull=True).count()
        note = ngettext("%(n)s campaign archived.", "%(n)s campaigns archived.", archived)
        note %= {"n": f"{archived:,}"}
        if left:
            kept = ngettext(
                "%(n)s was left as it is: only finished campaigns are archived.",
                "%(n)s were left as they are: only finished campaigns are archived.",
                left,
            )
            note += " " + kept % {"n": f"{left:,}"}
        self.message_user(request, note, messages.SUCCESS if archived else messages.WARNING)

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

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        campaign = context.get("original")
        context["merge_fields"] = live_preview.MERGE_FIELDS
        if campaign is not None:
            if campaign.status == Campaign.Status.DRAFT:
                leads = audience.audience_of(campaign)
                context["audience_size"] = audience.sizes(leads, campaign)
                context["skipped"] = audience.skipped_in_words(
                    audience.skipped_counts(leads, campaign)
                )
                context["ab_too_small"] = _ab_too_small(campaign, context["audience_size"])
            else:
                context["live"], context["results"] = campaign_live.campaign_page(campaign)
                context["poll_seconds"] = campaign_live.POLL_SECONDS
                context["funnel_columns"] = campaign_live.FUNNEL_COLUMNS
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
        if campaign.allows(verb):
            # The status allows it, but the blast has nothing left to send.
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
        return pages.launch_page(self, request, object_id)

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
        description=_("Archive…"), icon="inventory_2", url_path="archive", attrs=_marked("archive")
    )
    def archive(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._keep(request, object_id, Campaign.archive, "archive")

    @action(
        description=_("Unarchive"),
        icon="unarchive",
        url_path="unarchive",
        attrs=_marked("unarchive"),
    )
    def unarchive(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._keep(request, object_id, Campaign.unarchive, "unarchive")

    def _keep(self, request: HttpRequest, object_id: str, service: Any, verb: str) -> HttpResponse:
        """Archive or bring back: a GET says what it does, the POST does it."""
        campaign = self.get_object(request, object_id)
        if campaign is None:
            raise Http404("No such campaign.")
        change = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
        waiting = campaign_live.waiting_count(campaign)
        if verb not in campaign_live.available_actions(campaign, waiting):
            messages.info(request, NOT_ARCHIVABLE if verb == "archive" else NOT_ARCHIVED_YET)
            return HttpResponseRedirect(change)
        if request.method != "POST":
            texts = ARCHIVE_TEXTS[verb]
            return pages.confirmation(
                self,
                request,
                title=str(texts["title"]).format(name=campaign.name),
                explanation=str(texts["explanation"]),
                button=str(texts["button"]),
                back=change,
                icon="inventory_2" if verb == "archive" else "unarchive",
            )
        try:
            service(campaign)
        except CampaignStatusError as refused:
            messages.warning(request, str(refused))
        else:
            messages.success(request, str(ARCHIVE_TEXTS[verb]["done"]))
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

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        step = self.get_object(request, object_id)
        if step is not None and step.message_logs.exists():
            messages.error(request, STEP_HAS_SENT)
            return HttpResponseRedirect(
                reverse("admin:campaigns_campaignstep_change", args=[object_id])
            )
        return super().delete_view(request, object_id, extra_context)
