"""The campaigns list shows how each one went, as listmonk's does: its progress and its
sent, open, unsubscribe, click and reply figures. One grouped query over the message log answers for
the whole page (and one over enrollments when the page shows sequences), never one a row."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from unfold.decorators import display
from unfold.views import ChangeList as UnfoldChangeList

from campaigns.models import ENGAGEMENT, WAITING, Campaign, Enrollment, MessageLog
from campaigns.reporting.dashboard import rate
from crm.site.numbers import grouped, percent_written

Status = MessageLog.Status
NOT_TRACKED = _("not tracked")
DONE_OF = _("{done} of {total}")
THROUGH = ngettext_lazy(
    "%(through)s of %(enrolled)s lead through", "%(through)s of %(enrolled)s leads through", "count"
)


@dataclass
class Results:
    total: int = 0
    waiting: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    unsubscribed: int = 0
    # Sequences: leads enrolled, and those through (completed or stopped).
    enrolled: int = 0
    through: int = 0

    def percent(self, campaign: Campaign) -> float:
        """A blast: messages no longer waiting; a sequence: leads through it."""
        if campaign.type == Campaign.Type.SEQUENCE:
            done, whole = self.through, self.enrolled
        else:
            done, whole = self.total - self.waiting, self.total
        return round(100 * done / whole, 1) if whole else 0.0


def attach_results(campaigns: list[Campaign]) -> None:
    """Give each campaign of the page its `results`."""
    rows = {
        row.pop("campaign"): row
        for row in MessageLog.objects.filter(campaign__in=campaigns, is_test=False).funnel_by(
            "campaign",
            stages=(*ENGAGEMENT, "unsubscribed"),
            total=Count("pk", filter=~Q(status=Status.CANCELLED)),
            waiting=Count("pk", filter=Q(status__in=WAITING)),
        )
    }
    sequences = [c for c in campaigns if c.type == Campaign.Type.SEQUENCE]
    enrolled: dict[Any, dict[str, int]] = {}
    if sequences:
        enrolled = {
            row["campaign"]: {"enrolled": row["enrolled"], "through": row["through"]}
            for row in Enrollment.objects.filter(campaign__in=sequences)
            .values("campaign")
            .annotate(
                enrolled=Count("pk"), through=Count("pk", filter=~Q(state=Enrollment.State.ACTIVE))
            )
        }
    for campaign in campaigns:
        # Kept on the campaign, as an annotation would be, for the columns below.
        vars(campaign)["results"] = Results(
            **rows.get(campaign.pk, {}), **enrolled.get(campaign.pk, {})
        )


def results_of(campaign: Campaign) -> Results:
    """The results attach_results gave the campaign."""
    results: Results = vars(campaign)["results"]
    return results


class ResultsChangeList(UnfoldChangeList):
    """The page's campaigns, each with its results, read once for the page."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Evaluating the page here fills its cache: the rows the template shows are these.
        attach_results(list(self.result_list))


class ResultsColumns:
    """The list's columns of results, for the campaign admin."""

    empty_value_display = "–"

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type:
        return ResultsChangeList

    @display(description=_("Progress"))
    def progress(self, obj: Campaign) -> str:
        results = results_of(obj)
        if obj.status == Campaign.Status.DRAFT:
            return "–"
        percent = results.percent(obj)
        if obj.type == Campaign.Type.SEQUENCE:
            detail = THROUGH % {
                "count": results.enrolled,
                "through": grouped(results.through),
                "enrolled": grouped(results.enrolled),
            }
        else:
            done = results.total - results.waiting
            detail = DONE_OF.format(done=grouped(done), total=grouped(results.total))
        return format_html(
            '<div style="min-width: 8rem" title="{}">'
            '<div class="w-full h-2 bg-base-100 rounded-full overflow-hidden dark:bg-base-800">'
            '<div class="h-2 bg-primary-600" style="width: {}%"></div></div>'
            '<div class="text-xs mt-1">{}</div></div>',
            percent_written(percent),
            percent,
            detail,
        )

    @display(description=_("Sent"))
    def sent(self, obj: Campaign) -> str:
        return grouped(results_of(obj).sent) if obj.is_launched else "–"

    @display(description=_("Opened"))
    def open_rate(self, obj: Campaign) -> str:
        return _rate_of(obj, "opened", tracked=obj.track_opens)

    @display(description=_("Unsubscribed"))
    def unsubscribe_rate(self, obj: Campaign) -> str:
        """Beside the opens: Gmail's API reports no spam complaints, and leaving is the
        nearest signal of them (Gmail asks senders to stay under 0.3% of complaints)."""
        return _rate_of(obj, "unsubscribed")

    @display(description=_("Clicked"))
    def click_rate(self, obj: Campaign) -> str:
        return _rate_of(obj, "clicked", tracked=obj.track_clicks)

    @display(description=_("Replied"))
    def reply_rate(self, obj: Campaign) -> str:
        return _rate_of(obj, "replied")


def _rate_of(campaign: Campaign, outcome: str, tracked: bool = True) -> str:
    """The share of the sent messages that reached `outcome`; a rate that is not tracked
    is said to be so, rather than shown as 0%."""
    if not campaign.is_launched:
        return "–"
    if not tracked:
        return str(NOT_TRACKED)
    results = results_of(campaign)
    return rate(getattr(results, outcome), results.sent)
