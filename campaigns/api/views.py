"""The JSON API that n8n calls: claim messages, get an access token, log results, report
status, run the tick and the reply check.

Every call is signed over its method, path and body (signing.py) and runs once per request
id (request_ids.py); its body is checked field by field (payloads.py) before anything is
read or written; ids are checked against the dispatch or campaign they name.
"""

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models.functions import Now
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns import n8n
from campaigns.ab_tests import variants
from campaigns.accounts import gmail
from campaigns.api import payloads, request_ids
from campaigns.api.outcomes import Outcome, outcome_of
from campaigns.content import mime
from campaigns.events import replies
from campaigns.launching import blasts as dispatching
from campaigns.models import Campaign, Dispatch, EmailAccount, MessageLog
from campaigns.n8n import signing, watchdog
from campaigns.outbox import claims, sending
from campaigns.sequences import schedule

Status = MessageLog.Status
FINAL_REPORTS = {"completed", "failed"}
BAD_SIGNATURE = "invalid or missing signature"
TOO_LARGE = "body: larger than the upload limit (DATA_UPLOAD_MAX_MEMORY_SIZE)"
NOT_SENDING = "this dispatch is not sending: the dispatch is {dispatch}, its campaign {campaign}"
UNKNOWN_MESSAGE = "unknown message for this campaign"
NOT_CLAIMED = "this message was not claimed"
ALREADY = "this message is already {status}"
UNKNOWN_ACCOUNT = "no message of this dispatch is being sent through this account"
CHANGED_MEANWHILE = "a message of the batch changed while it was recorded: nothing was recorded"


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def signed_api(view: Callable) -> Callable:
    """Signature first (401), then the request id (a retry gets the first answer), then
    the body (400): nothing is read or written before all three."""

    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            body = request.body
        except RequestDataTooBig:
            return error(400, TOO_LARGE, field="body")
        method, path = request.method or "POST", request.path
        try:
            request_id = signing.verify(
                request.headers.get(signing.HEADER, ""), method=method, path=path, body=body
            )
        except signing.SignatureError:
            return error(401, BAD_SIGNATURE)
        fingerprint = request_ids.fingerprint(method, path, body)
        earlier = request_ids.signed_request_begin(request_id=request_id, fingerprint=fingerprint)
        if earlier is not None:
            return earlier
        try:
            response = _answer(view, request, body, *args, **kwargs)
        except BaseException:
            request_ids.signed_request_abandon(request_id=request_id)
            raise
        request_ids.signed_request_end(request_id=request_id, response=response)
        return response

    return wrapper


def _answer(view: Callable, request: HttpRequest, body: bytes, *args: Any, **kwargs: Any):
    try:
        return view(request, payloads.parse(body), *args, **kwargs)
    except payloads.PayloadError as problem:
        return error(400, str(problem), field=problem.field)


def _dispatch(dispatch_id: Any) -> Dispatch | None:
    return (
        Dispatch.objects.select_related("campaign", "email_account")
        .filter(pk=dispatch_id, driver=Dispatch.Driver.N8N)
        .first()
    )


def _not_sending(dispatch: Dispatch) -> JsonResponse | None:
    """A 409 unless the dispatch runs and its campaign is active: after a pause or a
    cancel, n8n gets neither messages nor a token, and its run stops (none is expected
    until the campaign is resumed: then the watchdog asks n8n for one)."""
    campaign = dispatch.campaign
    if dispatch.status == Dispatch.Status.RUNNING and campaign.status == Campaign.Status.ACTIVE:
        return None
    Dispatch.objects.filter(pk=dispatch.pk).update(run_due_by=None)
    message = NOT_SENDING.format(dispatch=dispatch.status, campaign=campaign.status)
    return error(409, message, state=campaign.status, dispatch_status=dispatch.status)


def _claimed(dispatch: Dispatch, wait: float | None, done: bool) -> None:
    """A run claimed: it will claim again within the watchdog's silence, after the wait it
    was given; a run told the dispatch is done claims no more."""
    due_by = None if done else Now() + timedelta(seconds=wait or 0) + n8n.silence()
    Dispatch.objects.filter(pk=dispatch.pk).update(last_claim_at=Now(), run_due_by=due_by)


@signed_api
def claim(request: HttpRequest, data: dict, dispatch_id: Any) -> JsonResponse:
    """Lease up to `limit` queued messages of the dispatch, rendered and ready (`raw`)."""
    limit = payloads.claim_limit(data)
    dispatch = _dispatch(dispatch_id)
    if dispatch is None:
        return error(404, "unknown dispatch")
    refused = _not_sending(dispatch)
    if refused:
        return refused
    claimed = claims.claim_for_dispatch(dispatch, limit)
    account = claimed.account or dispatch.email_account
    batch = [
        {
            "message_log_id": str(message.pk),
            "lead_id": str(message.lead_id),
            "campaign_id": str(message.campaign_id),
            "to": message.to_email,
            "thread_id": message.thread_id or None,
            "raw": mime.gmail_raw(sending.build_for(message, account)),
            # The message's slot under the account's per-minute quota.
            "send_after_seconds": round(index * claimed.spacing, 3),
        }
        for index, message in enumerate(claimed.messages)
    ]
    remaining = MessageLog.objects.filter(dispatch=dispatch, status=Status.QUEUED).count()
    retry_after, reason = claimed.retry_after, claimed.reason
    if not batch and retry_after is None and remaining:
        # Messages wait on an account that cannot send now: the run comes back later.
        retry_after, reason = claims.RECONNECT_WAIT, reason or claims.CANNOT_SEND
    # Done: nothing of the dispatch is left to claim, ever; the run reports and ends.
    done = not batch and retry_after is None
    answer = {"messages": batch, "remaining": remaining, "state": "active", "done": done}
    # The account the batch goes through: n8n sends it with that account's token.
    answer["account_id"] = str(account.pk)
    if retry_after is not None:
        # Nothing may be sent yet (the account's quota, cap or rest): come back then.
        answer.update(retry_after=round(retry_after, 3), waiting=reason)
    _claimed(dispatch, retry_after, done)
    return JsonResponse(answer)


@signed_api
def token(request: HttpRequest, data: dict, dispatch_id: Any) -> JsonResponse:
    """A short-lived access token for the dispatch's account, or for `account_id`, the
    account of a batch it claimed (sent from a lead's agent); n8n never sees the refresh
    token. The dispatch's own token is refused once it stops sending (n8n stops there); a
    batch's is given while it is in flight, as messages being sent finish after a pause.
    `refresh`: Gmail refused the last one, so a new one is asked of Google."""
    account_id, refresh = payloads.token_account(data), payloads.token_refresh(data)
    dispatch = _dispatch(dispatch_id)
    if dispatch is None:
        return error(404, "unknown dispatch")
    if account_id is None or account_id == dispatch.email_account_id:
        refused = _not_sending(dispatch)
        if refused:
            return refused
        account = dispatch.email_account
    else:
        account = _batch_account(dispatch, account_id)
        if account is None:
            return error(404, UNKNOWN_ACCOUNT, field="account_id")
    if account.provider != EmailAccount.Provider.GMAIL:
        return error(409, "this account is not a Gmail account")
    try:
        access = gmail.refresh_access_token(account) if refresh else gmail.access_token(account)
    except gmail.TokenRevoked:  # the account was marked and its campaigns paused
        return error(409, "reconnect_needed")
    except gmail.GmailError as failure:
        return error(502, f"token refresh failed: {failure}")
    return JsonResponse(
        {"access_token": access, "expires_at": account.token_expires_at.isoformat()}
    )


def _batch_account(dispatch: Dispatch, account_id: Any) -> EmailAccount | None:
    """The account, while messages of the dispatch claimed through it are being sent: a
    token is only ever given for what the dispatch is sending."""
    in_flight = MessageLog.objects.filter(
        status=Status.SENDING, email_account=account_id, dispatch=dispatch, is_test=False
    )
    if not in_flight.exists():
        return None
    return EmailAccount.objects.filter(pk=account_id, organization=dispatch.organization_id).first()


class _ChangedMeanwhile(Exception):
    """A row left `sending` between the read and the update: the batch is rolled back."""


@signed_api
def log_message(request: HttpRequest, data: dict) -> JsonResponse:
    """The spec's log-message payload, or {"messages": [...]} for a batch. Idempotent.

    A batch costs the same few queries whatever its size: one read of its messages (locked
    on PostgreSQL; SQLite's transaction holds the write lock), one UPDATE of those that
    change. A report already recorded with the same status changes nothing, and says so.
    """
    reports = payloads.reports(data)
    outcomes = {report.message_log_id: outcome_of(report) for report in reports}
    try:
        with transaction.atomic():
            found = {
                row["pk"]: row
                for row in MessageLog.objects.select_for_update(of=("self",))
                .filter(pk__in=[r.message_log_id for r in reports])
                .filter(dispatch__driver=Dispatch.Driver.N8N)
                .order_by("pk")  # one lock order for every batch: no deadlock between two
                .values(
                    "pk",
                    "campaign_id",
                    "lead_id",
                    "status",
                    "email_account_id",
                    "campaign__failure_streak",
                )
            }
            changing, rests = {}, {}
            for report in reports:
                row, outcome = found.get(report.message_log_id), outcomes[report.message_log_id]
                refused = _refusal(report, outcome, row)
                if refused:
                    return refused
                if row["status"] == Status.SENDING:
                    changing[report.message_log_id] = outcome.fields
                    if outcome.rest:
                        rests[row["email_account_id"]] = outcome.rest
            campaign_of = {pk: row["campaign_id"] for pk, row in found.items()}
            # Read with the messages: a batch of sent reports leaves a count of 0 unwritten.
            streaks = {
                row["campaign_id"]: row["campaign__failure_streak"] for row in found.values()
            }
            if claims.finish_many(changing, campaign_of, streaks) != len(changing):
                raise _ChangedMeanwhile
            for account_id, (pause, reason) in rests.items():
                EmailAccount(pk=account_id).rest(pause, reason)
    except _ChangedMeanwhile:
        return error(409, CHANGED_MEANWHILE)
    results = [
        {
            "message_log_id": str(report.message_log_id),
            # What the message is now: Django's decision (a passing error: queued again).
            "status": outcomes[report.message_log_id].status,
            "changed": report.message_log_id in changing,
        }
        for report in reports
    ]
    return JsonResponse({"results": results})


def _refusal(report: payloads.Report, outcome: Outcome, row: dict | None) -> JsonResponse | None:
    message_log_id = str(report.message_log_id)
    if (
        row is None
        or row["campaign_id"] != report.campaign_id
        or (report.lead_id and row["lead_id"] != report.lead_id)
    ):
        return error(404, UNKNOWN_MESSAGE, message_log_id=message_log_id)
    if row["status"] == Status.QUEUED:
        return error(409, NOT_CLAIMED, message_log_id=message_log_id)
    if row["status"] not in (Status.SENDING, outcome.status):
        return error(409, ALREADY.format(status=row["status"]), message_log_id=message_log_id)
    return None


@signed_api
def status(request: HttpRequest, data: dict) -> JsonResponse:
    """The spec's status callback: processing, completed or failed, with stats and errors."""
    report = payloads.status_report(data)
    dispatches = Dispatch.objects.filter(campaign_id=report.campaign_id, driver=Dispatch.Driver.N8N)
    if report.dispatch_id:
        dispatches = dispatches.filter(pk=report.dispatch_id)
    found = dispatches.order_by("-created_at").first()
    if found is None:
        return error(404, "unknown campaign or dispatch")
    Dispatch.objects.filter(pk=found.pk).update(
        reported_status=report.status, reported_stats=report.stats, reported_errors=report.errors
    )
    if report.status in FINAL_REPORTS:
        dispatching.finish_dispatches()
    found.refresh_from_db()
    return JsonResponse({"dispatch_id": str(found.pk), "status": found.status})


@signed_api
def tick(request: HttpRequest, data: dict) -> JsonResponse:
    """The sequence tick, for an n8n schedule workflow: queue what is due, hand it to n8n;
    and the A/B subject tests whose wait is over choose their winner."""
    payloads.nothing(data)
    result = schedule.tick()
    # Claims of a run that died expire; dispatches with nothing left finish; lost runs are
    # replaced (in n8n mode nothing else may run these: no send_queued needs to run).
    claims.expire_stale_claims()
    dispatching.finish_dispatches()
    return JsonResponse(
        {
            "enrolled": result.enrolled,
            "stopped": result.stopped,
            "queued": result.queued,
            "completed": result.completed,
            "dispatch_ids": [str(pk) for pk in result.dispatches],
            "ab_tests_decided": variants.decide_due(),
            "runs_replaced": watchdog.replace_lost_runs(),
        }
    )


@signed_api
def check_replies(request: HttpRequest, data: dict) -> JsonResponse:
    """Reply and bounce detection, for an n8n schedule: every opted-in account is read."""
    payloads.nothing(data)
    checked = replies.check_replies()
    return JsonResponse(
        {
            "accounts": len(checked),
            "threads": sum(result.threads for result in checked),
            "replied": sum(result.replied for result in checked),
            "bounced": sum(result.bounced for result in checked),
            "problems": [
                {"account_id": str(result.account.pk), "problem": result.problem}
                for result in checked
                if result.problem
            ],
        }
    )
