"""The message log's filters that the campaign page links its counts to: what became of a
message (its stage of the funnel, counted as the page counts it), its step, the link a lead
clicked, and why it failed, bounced or was skipped (in words). The last three are hidden
until a link sets them."""

import uuid
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campaigns.models import FUNNEL, CampaignStep, LinkClick, MessageLog
from campaigns.outbox import failures
from campaigns.reporting import links
from crm.site.tenancy import organization_ids

# The funnel's stages as the filter offers them (campaigns.models.FUNNEL counts them).
OUTCOMES = {
    "queued": _("Waiting to be sent"),
    "sent": _("Sent"),
    "opened": _("Opened"),
    "clicked": _("Clicked"),
    "replied": _("Replied"),
    "bounced": _("Bounced"),
    "unsubscribed": _("Unsubscribed"),
    "failed": _("Failed"),
    "skipped": _("Skipped"),
}
# How many distinct reasons are read to find those that say the same words.
REASONS_READ = 2000


class OutcomeFilter(admin.SimpleListFilter):
    """What became of the message, as the campaign page counts it: "Opened" is every
    message opened, whatever happened after (a reply, an unsubscribe)."""

    title = _("outcome")
    parameter_name = links.OUTCOME

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(OUTCOMES.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[MessageLog]) -> Any:
        value = self.value()
        return queryset.filter(FUNNEL[value]) if value in FUNNEL else queryset


class _Hidden(admin.SimpleListFilter):
    """A filter offered only once a link has set it (it names what the link counted)."""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        value = self.value()
        return [(value, self.named(request, value))] if value else []

    def named(self, request: HttpRequest, value: str) -> str:
        return value


class StepFilter(_Hidden):
    title = _("step")
    parameter_name = links.STEP

    def named(self, request: HttpRequest, value: str) -> str:
        mine = CampaignStep.objects.filter(campaign__organization__in=organization_ids(request))
        try:
            step = mine.select_related("campaign__organization").get(pk=value)
        except (CampaignStep.DoesNotExist, ValidationError, ValueError):
            return str(_("unknown step"))
        return step.label()

    def queryset(self, request: HttpRequest, queryset: QuerySet[MessageLog]) -> Any:
        value = self.value()
        if not value:
            return queryset
        try:
            step = uuid.UUID(str(value))
        except ValueError:
            return queryset.none()
        return queryset.filter(campaign_step=step)


class LinkFilter(_Hidden):
    """The messages whose lead clicked this link (counted clicks, as the page counts)."""

    title = _("link clicked")
    parameter_name = links.LINK

    def queryset(self, request: HttpRequest, queryset: QuerySet[MessageLog]) -> Any:
        value = self.value()
        if not value:
            return queryset
        clicked = LinkClick.objects.filter(url=value).values("message")
        return queryset.filter(pk__in=clicked)


class WhyFilter(_Hidden):
    """The messages that failed, bounced or were skipped for this reason, in words (the
    words staff read: several raw reasons can say the same)."""

    title = _("why")
    parameter_name = links.WHY

    def queryset(self, request: HttpRequest, queryset: QuerySet[MessageLog]) -> Any:
        value = self.value()
        if not value:
            return queryset
        said = (
            queryset.exclude(error_message="")
            .order_by()
            .values_list("error_message", flat=True)
            .distinct()[:REASONS_READ]
        )
        raw = [text for text in said if failures.in_words(text) == value]
        return queryset.filter(error_message__in=raw)
