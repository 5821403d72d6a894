"""Forms of the campaign admin: the audience filter as fields, and the launch dialog."""

import datetime
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from unfold.forms import PaginationInlineFormSet
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminDateWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextInputWidget,
)

from campaigns.audiences import audience
from campaigns.models import VARIANT_FIELDS, Campaign, CampaignStep
from crm.models import Lead

LOCKED_HELP = "Locked since the launch."
AGENCY_LANGUAGE = "The agency's language"
AGENCY_LANGUAGE_NAMED = "The agency's language ({name})"
NOT_EMAILED_HELP = (
    "None ticked: every lead but clients and lost leads (tick Client or Lost to email them)."
)
# A blast's subject test: launched as set (ab_tests freezes them), then shown read-only.
AB_TEST_FIELDS = ("ab_share", "ab_wait_hours", "ab_measure")


def language_choices(agency_language: str = "") -> list[tuple[str, str]]:
    """The campaign's language: empty (the agency's, named when known) or one we write in."""
    names = {code: str(name) for code, name in settings.LANGUAGES}
    empty = (
        AGENCY_LANGUAGE_NAMED.format(name=names[agency_language])
        if agency_language in names
        else AGENCY_LANGUAGE
    )
    return [("", empty), *names.items()]


class CampaignForm(forms.ModelForm):
    """The spec's audience filter edited as ordinary fields, stored as JSON."""

    language = forms.ChoiceField(
        label="Language of its emails",
        required=False,
        choices=language_choices,
        widget=UnfoldAdminSelectWidget,
        help_text=Campaign._meta.get_field("language").help_text,
    )

    filter_status = forms.MultipleChoiceField(
        label="Lead status",
        required=False,
        choices=Lead.Status.choices,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=NOT_EMAILED_HELP,
    )
    filter_city = forms.CharField(label="City", required=False, widget=UnfoldAdminTextInputWidget)
    filter_source = forms.CharField(
        label="Source", required=False, widget=UnfoldAdminTextInputWidget
    )
    filter_tags = forms.CharField(
        label="Tags",
        required=False,
        widget=UnfoldAdminTextInputWidget,
        help_text="Leads with any of these tags, separated by commas.",
    )
    filter_custom = forms.CharField(
        label="Custom fields",
        required=False,
        widget=UnfoldAdminTextInputWidget,
        help_text="key = value, separated by “;” (e.g. neighborhood = Echo Park): the "
        "custom fields an import kept, in any case.",
    )
    filter_budget_min = forms.IntegerField(
        label="Can spend at least",
        required=False,
        min_value=0,
        widget=UnfoldAdminIntegerFieldWidget,
    )
    filter_created_from = forms.DateField(
        label="Lead created from", required=False, widget=UnfoldAdminDateWidget
    )
    filter_created_to = forms.DateField(
        label="Lead created until", required=False, widget=UnfoldAdminDateWidget
    )
    alert_statuses = forms.MultipleChoiceField(
        label="Only leads with status",
        required=False,
        choices=Lead.Status.choices,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=NOT_EMAILED_HELP,
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "type",
            "language",
            "email_account",
            "send_from_agents",
            "audience",
            "chosen_leads",
            "enroll_new_leads",
            "window_start",
            "window_end",
            "send_on_weekends",
            "thread_follow_ups",
            "auto_reply_hold_days",
            "track_opens",
            "track_clicks",
            *AB_TEST_FIELDS,
            "alert_new_listings",
            "alert_price_drop",
            "alert_statuses",
            "alert_send_automatically",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.organization_id:
            agency = self.instance.organization.language
            self.fields["language"].choices = language_choices(agency)  # type: ignore[attr-defined]
        saved = self.instance.audience_filter or {}
        for key in audience.FILTER_KEYS:
            if key in saved:
                self.initial[f"filter_{key}"] = saved[key]
        if saved.get("tags"):
            self.initial["filter_tags"] = ", ".join(saved["tags"])
        if saved.get("custom"):
            self.initial["filter_custom"] = audience.custom_text(saved["custom"])
        for name in AB_TEST_FIELDS:
            # Left out of a post (a script, a page older than them): the saved value stays.
            self.fields[name].required = False
        if self.launched:
            # Shown, not editable: a posted value is ignored for the saved one.
            for name in self.locked_fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = LOCKED_HELP

    @property
    def launched(self) -> bool:
        return not self.instance._state.adding and self.instance.is_launched

    @property
    def locked_fields(self) -> list[str]:
        names = ["type", "email_account", "send_from_agents", "audience", "chosen_leads"]
        names += AB_TEST_FIELDS
        names += [f"filter_{key}" for key in audience.FILTER_KEYS]
        return [name for name in names if name in self.fields]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start >= end:
            self.add_error("window_end", "The send window must end after it starts.")
        if self.launched:
            return data  # the saved filter stays as it is
        raw = {key: data.get(f"filter_{key}") for key in audience.FILTER_KEYS}
        raw = {key: value for key, value in raw.items() if value not in (None, "", [])}
        try:
            self.instance.audience_filter = audience.clean_filter(raw)
        except audience.AudienceError as error:
            raise forms.ValidationError(str(error)) from None
        return data


STEP_HAS_SENT = (
    "This step has already sent messages, so it cannot be deleted (their history would be "
    "lost). Untick “is active” to stop sending it."
)


class StepFormSet(PaginationInlineFormSet):
    """The steps on the campaign page; one that has sent stays (its messages point to it)."""

    def clean(self) -> None:
        # Before the admin's own check, which would list every message of the step.
        for form in self.forms:
            step = form.instance
            if self._should_delete_form(form) and step.pk and step.message_logs.exists():
                raise forms.ValidationError(f"{step}: {STEP_HAS_SENT}")
        super().clean()

    def _construct_form(self, i: int, **kwargs: Any) -> forms.ModelForm:
        form = super()._construct_form(i, **kwargs)
        if not self.instance._state.adding:
            # A step's label reads its campaign (type, agency): the page's, not one query
            # per step.
            form.instance.campaign = self.instance
        return form


class StepForm(forms.ModelForm):
    class Meta:
        model = CampaignStep
        fields = [
            "name",
            "subject",
            *VARIANT_FIELDS,
            "body_template",
            "offset_days",
            "order",
            "is_active",
            "new_thread",
            "text_template",
        ]


class LaunchForm(forms.Form):
    send_at = forms.SplitDateTimeField(
        required=False,
        widget=UnfoldAdminSplitDateTimeWidget,
        label="Send later (optional)",
        help_text="In the organization's time zone. Leave empty to start now.",
    )

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_send_at(self) -> datetime.datetime | None:
        value = self.cleaned_data.get("send_at")
        if value is None:
            return None
        # The field read the wall-clock time in the server's zone: read it in the agency's.
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return naive.replace(tzinfo=self.zone)
