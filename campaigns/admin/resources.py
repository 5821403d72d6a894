"""Exports (CSV, XLSX...): the message log, and each campaign's results. Formula-safe like
every export."""

import functools
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields

from campaigns.ab_tests.ab_results import MEASURED, results_by_campaign
from campaigns.content import follow_ups
from campaigns.models import (
    ENGAGEMENT,
    SETTLED,
    VARIANT_FIELDS,
    AbMeasure,
    AbTest,
    Campaign,
    MessageLog,
)
from crm.resources import FormulaSafeResource

# Column names in words, as a spreadsheet's reader reads them (a field's name is its key in
# the export form; its column is titled here).
MESSAGE_COLUMNS = {
    "created_at": _("Created"),
    "campaign": _("Campaign"),
    "step": _("Step"),
    "lead": _("Lead"),
    "to_email": _("To"),
    "subject": _("Subject as sent"),
    "variant": _("A/B subject"),
    "status": _("Status"),
    "sent_at": _("Sent at"),
    "opened_at": _("Opened at"),
    "clicked_at": _("Clicked at"),
    "replied_at": _("Replied at"),
    "bounced_at": _("Bounced at"),
    "unsubscribed_at": _("Unsubscribed at"),
    "open_count": _("Opens"),
    "click_count": _("Clicks"),
    "error_message": _("Why (failure or skip)"),
    "provider_message_id": _("Gmail message id"),
}


def titled(resource: Any, titles: dict[str, Any]) -> None:
    """Each of the resource's fields named in `titles` gets that column name."""
    for name, title in titles.items():
        if name in resource.fields:
            resource.fields[name].column_name = str(title)


class MessageLogResource(FormulaSafeResource):
    campaign = fields.Field(attribute="campaign__name")
    step = fields.Field(attribute="campaign_step__order")
    lead = fields.Field(attribute="lead__name")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        titled(self, MESSAGE_COLUMNS)

    def dehydrate_status(self, message: MessageLog) -> str:
        return str(message.get_status_display())

    class Meta:
        model = MessageLog
        fields = (
            "created_at",
            "campaign",
            "step",
            "lead",
            "to_email",
            "subject",
            "variant",
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


# Per campaign, from its (non-test) messages: all of them, then the funnel's stages.
RESULT_COUNTS = ("messages", *SETTLED)


# A blast's A/B subject test: the decision, then each subject's test messages (A to D).
AB_LETTERS = ["A", *(name[-1].upper() for name in VARIANT_FIELDS)]
AB_DECISION = ("ab_measure", "ab_p_value", "ab_decision", "ab_decided_at")
AB_FIGURES = ("subject", *ENGAGEMENT, "rate")
AB_COLUMNS = (
    *AB_DECISION,
    *(f"ab_{letter}_{figure}" for letter in AB_LETTERS for figure in AB_FIGURES),
)


RESULT_COLUMNS = {
    "name": _("Campaign"),
    "type": _("Type"),
    "status": _("Status"),
    "account": _("Sending account"),
    "created_at": _("Created"),
    "messages": _("Messages"),
    "sent": _("Sent"),
    "opened": _("Opened"),
    "clicked": _("Clicked"),
    "replied": _("Replied"),
    "bounced": _("Bounced"),
    "unsubscribed": _("Unsubscribed"),
    "failed": _("Failed"),
    "skipped": _("Skipped"),
    "open_rate": _("Open rate (%)"),
    "click_rate": _("Click rate (%)"),
    "reply_rate": _("Reply rate (%)"),
    "bounce_rate": _("Bounce rate (%)"),
    "subjects": _("Subjects as sent"),
    "ab_measure": _("A/B measure"),
    "ab_p_value": _("A/B p-value"),
    "ab_decision": _("A/B decision"),
    "ab_decided_at": _("A/B decided at"),
}
AB_FIGURE_TITLES = {
    "subject": _("A/B subject {letter}"),
    "sent": _("A/B subject {letter}: sent"),
    "opened": _("A/B subject {letter}: opened"),
    "clicked": _("A/B subject {letter}: clicked"),
    "replied": _("A/B subject {letter}: replied"),
    "rate": _("A/B subject {letter}: rate (%)"),
}


def _ab_title(name: str) -> str:
    """ "ab_p_value" -> "A/B p-value", "ab_B_sent" -> "A/B subject B: sent" """
    if name in RESULT_COLUMNS:
        return str(RESULT_COLUMNS[name])
    letter, figure = name.removeprefix("ab_").split("_", 1)
    return str(AB_FIGURE_TITLES[figure]).format(letter=letter)


def result_counts(campaigns: QuerySet[Campaign]) -> dict[Any, dict[str, int]]:
    """{campaign id: counts}, in one aggregate query over the message log alone: counted
    through a join from the campaigns, any other join of theirs (the admin list counts
    steps) would multiply every figure."""
    rows = MessageLog.objects.filter(campaign__in=campaigns.values("pk"), is_test=False).funnel_by(
        "campaign", stages=RESULT_COUNTS[1:], messages=Count("pk")
    )
    return {row.pop("campaign"): row for row in rows}


class CampaignResultsResource(FormulaSafeResource):
    """One row per campaign with its funnel and rates (rates over the messages sent)."""

    account = fields.Field(attribute="email_account__email_address")
    open_rate = fields.Field()
    click_rate = fields.Field()
    reply_rate = fields.Field()
    bounce_rate = fields.Field()
    subjects = fields.Field()

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
            "subjects",
            *AB_COLUMNS,
        )
        export_order = fields

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.counts: dict[Any, dict[str, int]] = {}
        for name in RESULT_COUNTS:
            self.fields[name] = fields.Field(
                column_name=str(RESULT_COLUMNS[name]),
                dehydrate_method=functools.partial(self._count, name=name),
            )
        self.ab_tests: dict[Any, AbTest] = {}
        self.ab_figures: dict[Any, dict[str, dict[str, int]]] = {}
        for name in AB_COLUMNS:
            self.fields[name] = fields.Field(
                column_name=_ab_title(name),
                dehydrate_method=functools.partial(self._ab_value, name=name),
            )
        titled(self, {name: RESULT_COLUMNS[name] for name in RESULT_COLUMNS if name in self.fields})

    def dehydrate_type(self, campaign: Campaign) -> str:
        return str(campaign.get_type_display())

    def dehydrate_status(self, campaign: Campaign) -> str:
        return str(campaign.get_status_display())

    def filter_export(self, queryset: QuerySet[Campaign], **kwargs: Any) -> QuerySet[Campaign]:
        self.counts = result_counts(queryset)
        tests = AbTest.objects.filter(campaign__in=queryset.values("pk"))
        self.ab_tests = {
            test.campaign_id: test for test in tests.select_related("dispatch__snapshot")
        }
        self.ab_figures = results_by_campaign(queryset) if self.ab_tests else {}
        return queryset.select_related("email_account", "organization").prefetch_related("steps")

    def _ab_value(self, campaign: Campaign, name: str) -> Any:
        """A column of the campaign's A/B test: empty without one, or for a subject it has not."""
        test = self.ab_tests.get(campaign.pk)
        if test is None:
            return ""
        decision = {
            "ab_measure": AbMeasure(test.measure).label,
            "ab_p_value": "" if test.p_value is None else round(test.p_value, 4),
            "ab_decision": test.outcome,
            "ab_decided_at": f"{timezone.localtime(test.decided_at):%Y-%m-%d %H:%M}"
            if test.decided_at
            else "",
        }
        if name in decision:
            return decision[name]
        letter, figure = name.removeprefix("ab_").split("_", 1)
        if letter not in test.variants:
            return ""
        if figure == "subject":
            # As written, merge fields as chips: never template code (Campaign.as_written).
            snapshot = test.dispatch.snapshot
            return campaign.as_written(snapshot.subject_of(letter)) if snapshot else ""
        counts = self.ab_figures.get(campaign.pk, {}).get(letter, {})
        if figure != "rate":
            return counts.get(figure, 0)
        hits, sent = counts.get(MEASURED[AbMeasure(test.measure)], 0), counts.get("sent", 0)
        return round(100 * hits / sent, 1) if sent else ""

    def _count(self, campaign: Campaign, name: str) -> int:
        return self.counts.get(campaign.pk, {}).get(name, 0)

    def _rate(self, campaign: Campaign, part: str) -> float | str:
        sent = self._count(campaign, "sent")
        return round(100 * self._count(campaign, part) / sent, 1) if sent else ""

    def dehydrate_open_rate(self, campaign: Campaign) -> float | str:
        return self._rate(campaign, "opened") if campaign.track_opens else ""

    def dehydrate_click_rate(self, campaign: Campaign) -> float | str:
        return self._rate(campaign, "clicked") if campaign.track_clicks else ""

    def dehydrate_reply_rate(self, campaign: Campaign) -> float | str:
        return self._rate(campaign, "replied")

    def dehydrate_bounce_rate(self, campaign: Campaign) -> float | str:
        return self._rate(campaign, "bounced")

    def dehydrate_subjects(self, campaign: Campaign) -> str:
        """ "Step 1: Welcome to Sunset Realty, ‹first name› | Step 2: Re: Welcome to..."
        (follow_ups: what each active step is sent with, in words)."""
        steps = sorted((step for step in campaign.steps.all() if step.is_active), key=_order)
        if campaign.type != Campaign.Type.SEQUENCE:
            steps = steps[:1]  # a blast, or an alert's email, sends its first step
        sent = follow_ups.subjects_as_sent(steps, campaign.as_written)
        return " | ".join(f"Step {each.step.order}: {each.subject}" for each in sent)


def _order(step: Any) -> int:
    return int(step.order)
