"""The spec's log-message payload names no message: `campaign_id`, `lead_id`, `status`,
`provider_message_id`, `sent_at` (and, for a sequence, `campaign_step_id`, as the spec's
dispatch payload names the step). A workflow built from the spec must keep working, so each
such report is matched to its message: the one of that campaign, lead (and step) that n8n is
sending; or, for a retried report, the one already recorded with that status. When several
could be meant, the answer is a 409 that says what to add, never a guess."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from campaigns.api.payloads import Report
from campaigns.models import Dispatch, MessageLog

Status = MessageLog.Status
NO_MESSAGE = "no message of this campaign to this lead is sent through n8n"
AMBIGUOUS = (
    "{count} messages of this campaign to this lead could be meant: name the message "
    "(message_log_id){or_step}"
)


class Unmatched(Exception):
    """A report that names no message, and whose message cannot be told (404 or 409)."""

    def __init__(self, status: int, message: str, report: Report) -> None:
        super().__init__(message)
        self.status, self.report = status, report


def match(reports: list[Report]) -> tuple[list[Report], dict[int, Unmatched]]:
    """The reports, each with its `message_log_id` (found in one query for the batch), and
    by position those that could not be matched (they keep no message_log_id)."""
    unnamed = [report for report in reports if report.message_log_id is None]
    if not unnamed:
        return reports, {}
    rows = MessageLog.objects.filter(
        campaign_id__in={report.campaign_id for report in unnamed},
        lead_id__in={report.lead_id for report in unnamed},
        dispatch__driver=Dispatch.Driver.N8N,
        is_test=False,
    ).values("pk", "campaign_id", "lead_id", "campaign_step_id", "status")
    messages: dict[tuple[Any, Any], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        messages[(row["campaign_id"], row["lead_id"])].append(row)
    matched, unmatched = [], {}
    for n, report in enumerate(reports):
        if report.message_log_id is None:
            try:
                pk = _pick(report, messages[(report.campaign_id, report.lead_id)])
            except Unmatched as refused:
                unmatched[n] = refused
            else:
                report = replace(report, message_log_id=pk)
        matched.append(report)
    return matched, unmatched


def _pick(report: Report, rows: list[Mapping[str, Any]]) -> Any:
    if report.campaign_step_id is not None:
        rows = [row for row in rows if row["campaign_step_id"] == report.campaign_step_id]
    if not rows:
        raise Unmatched(404, NO_MESSAGE, report)
    # The message in flight; else, for a report sent again, the one it recorded.
    for status in (Status.SENDING, report.status):
        found = [row for row in rows if row["status"] == status]
        if len(found) == 1:
            return found[0]["pk"]
        if found:
            raise _ambiguous(report, len(found))
    if len(rows) == 1:
        return rows[0]["pk"]  # queued, or recorded otherwise: the API says which (409)
    raise _ambiguous(report, len(rows))


def _ambiguous(report: Report, count: int) -> Unmatched:
    or_step = "" if report.campaign_step_id else " or its step (campaign_step_id)"
    return Unmatched(409, AMBIGUOUS.format(count=count, or_step=or_step), report)
