"""The JSON API that n8n calls: claim messages, get an access token, log results, report
status, run the tick and the reply check.

Every call is signed over its method, path and body (signing.py) and runs once per request
id (request_ids.py); its body is checked field by field (payloads.py) before anything is
read or written; ids are checked against the dispatch or campaign they name.
"""

import functools
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models.functions import Now
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns import n8n
from campaigns.accounts import gmail
from campaigns.api import payloads, request_ids, spec_reports
from campaigns.content import mime
from campaigns.events import replies
from campaigns.launching import blasts as dispatching
from campaigns.models import SENT_OR_LATER, Campaign, Dispatch, EmailAccount, MessageLog
from campaigns.n8n import signing
from campaigns.outbox import claims, failures
from campaigns.periodic import jobs

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
NO_ANSWER = "no answer from Gmail (reported by n8n): it may have gone, so it is not sent again"
NOT_SENT = "not sent: n8n could not reach Gmail"
# A limit n8n met (429, or 403 with a quota reason): the account rests this long.
QUOTA_REST = timedelta(minutes=1)


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def signed_api(
    view: Callable | None = None, *, atomic: bool = True, keep_answer: bool = True
) -> Callable:
    """Signature first (401), then the request id (a retry gets the first answer), then
    the body (400): nothing is read or written before all three.

    An `atomic` call takes its request id, does its work and stores its answer in one
    durable transaction: a process killed anywhere leaves all three or none, so a retry
    gets the first answer or runs afresh. The calls that wait on Google (token, reply
    check) or run long jobs (the tick) run outside one, as running them twice does no
    harm (request_ids.py). A view whose answer holds a secret says `keep_answer=False`: a
    retry runs it again."""
    if view is None:
        return functools.partial(signed_api, atomic=atomic, keep_answer=keep_answer)

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
        if atomic:
            return _atomic_call(view, request, body, request_id, fingerprint, args, kwargs)
        earlier = request_ids.signed_request_begin(request_id=request_id, fingerprint=fingerprint)
        if earlier is not None:
            return earlier
        try:
            response = _answer(view, request, body, *args, **kwargs)
        except BaseException:
            request_ids.signed_request_abandon(request_id=request_id)
            raise
        request_ids.signed_request_end(request_id=request_id, response=response, keep=keep_answer)
        return response

    return wrapper


def _atomic_call(
    view: Callable,
    request: HttpRequest,
    body: bytes,
    request_id: str,
    fingerprint: str,
    args: tuple,
    kwargs: dict[str, Any],
) -> HttpResponse:
    """The request id, the call's work and its answer in one transaction. A second call
    with the id waits on the first's row (the primary key) until it commits or rolls
    back, then gets its answer or runs."""
    request_ids.forget_expired()
    with claims.durable():
        earlier = request_ids.signed_request_take(request_id=request_id, fingerprint=fingerprint)
        if earlier is not None:
            return earlier
        response = _answer(view, request, body, *args, **kwargs)
        if response.status_code >= 500:  # nothing is kept: a retry runs it again
            transaction.set_rollback(True)
            return response
        request_ids.signed_request_end(request_id=request_id, response=response)
    return response


def _answer(
    view: Callable[..., HttpResponse], request: HttpRequest, body: bytes, *args: Any, **kwargs: Any
) -> HttpResponse:
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
            # Built by the claim: nothing here can fail once the batch is `sending`.
            "raw": mime.gmail_raw(claimed.raw[message.pk]),
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


# Not atomic (it waits on Google); its answer, an access token, is never kept at rest.
@signed_api(atomic=False, keep_answer=False)
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
        batch_account = _batch_account(dispatch, account_id)
        if batch_account is None:
            return error(404, UNKNOWN_ACCOUNT, field="account_id")
        account = batch_account
    if account.provider != EmailAccount.Provider.GMAIL:
        return error(409, "this account is not a Gmail account")
    try:
        access = gmail.refresh_access_token(account) if refresh else gmail.access_token(account)
    except gmail.TokenRevoked:  # the account was marked and its campaigns paused
        return error(409, "reconnect_needed")
    except gmail.GmailError as failure:
        return error(502, f"token refresh failed: {failure}")
    expires = account.token_expires_at
    assert expires is not None  # access_token() refreshed the token if it had no expiry
    return JsonResponse({"access_token": access, "expires_at": expires.isoformat()})


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
    """The spec's log-message payload, or {"messages": [...]} for a batch. Idempotent. A
    report names its message by message_log_id, or by campaign and lead as the spec's does.

    Each report is answered on its own: a report refused (an unknown message, one already
    recorded otherwise) is said so in its result (`error`, `code`), and the others are
    recorded. What a report means is decided here (`_outcome`): sent; failed for good on
    Google's permanent answer; back in the queue, the account resting, on a passing one or
    when Gmail was not reached; `unknown` when no answer came. A single report keeps the
    spec's answers: 404 or 409 when it is refused.

    A batch costs the same few queries whatever its size: one read of its messages (locked
    on PostgreSQL; SQLite's transaction holds the write lock), one UPDATE of those that
    change. A report already recorded with the same outcome changes nothing, and says so.
    """
    reports = payloads.reports(data)
    try:
        with claims.durable():
            # The spec's own payload names no message: each is matched to its own.
            reports, unmatched = spec_reports.match(reports)
            payloads.check_reported_once(reports)
            found = {
                message.pk: message
                for message in MessageLog.objects.select_for_update(of=("self",))
                .filter(pk__in=[r.message_log_id for r in reports])
                .filter(dispatch__driver=Dispatch.Driver.N8N)
                .select_related("campaign", "email_account")
                .order_by("pk")  # one lock order for every batch: no deadlock between two
            }
            now = claims.database_now()
            results, changing, outcomes, late = [], {}, [], {}
            for n, report in enumerate(reports):
                message = found.get(report.message_log_id) if report.message_log_id else None
                refused = _unmatched(unmatched[n]) if n in unmatched else _refusal(report, message)
                if refused is not None:
                    if "messages" not in data:
                        return refused
                    results.append(_result(report, message, refused))
                    continue
                assert message is not None
                if message.status == Status.SENDING:
                    outcome = _outcome(report, message, now)
                    changing[message.pk] = {"status": outcome.status, **outcome.fields}
                    outcomes.append(outcome)
                elif message.status == Status.UNKNOWN and report.status == Status.SENT:
                    late[message.pk] = _outcome(report, message, now).fields
                results.append(
                    {
                        "message_log_id": str(message.pk),
                        "status": changing.get(message.pk, {}).get("status")
                        or (Status.SENT if message.pk in late else message.status),
                        "changed": message.pk in changing or message.pk in late,
                    }
                )
            campaign_of = {pk: message.campaign_id for pk, message in found.items()}
            # Read with the messages: a batch of sent reports leaves a count of 0 unwritten.
            streaks = {m.campaign_id: m.campaign.failure_streak for m in found.values()}
            if claims.finish_many(changing, campaign_of, streaks) != len(changing):
                raise _ChangedMeanwhile
            for pk, fields in late.items():
                # The claim had expired to `unknown`, yet the message did go: it is sent.
                MessageLog.objects.filter(pk=pk, status=Status.UNKNOWN).update(
                    status=Status.SENT, error_message="", updated_at=timezone.now(), **fields
                )
            _rest_accounts(outcomes, now)
    except _ChangedMeanwhile:
        return error(409, CHANGED_MEANWHILE)
    return JsonResponse({"results": results})


def _result(report: payloads.Report, message: MessageLog | None, refused: JsonResponse) -> dict:
    said = json.loads(refused.content)
    named = report.message_log_id is not None
    return {
        "message_log_id": str(report.message_log_id) if named else None,
        **({} if named else {"lead_id": str(report.lead_id)}),
        "status": message.status if message is not None else None,
        "changed": False,
        "error": said["error"],
        "code": refused.status_code,
    }


def _unmatched(unmatched: spec_reports.Unmatched) -> JsonResponse:
    """A spec report (no message_log_id) that matched no message, or several."""
    return error(unmatched.status, str(unmatched), lead_id=str(unmatched.report.lead_id))


def _refusal(report: payloads.Report, message: MessageLog | None) -> JsonResponse | None:
    message_log_id = str(report.message_log_id)
    if (
        message is None
        or message.campaign_id != report.campaign_id
        or (report.lead_id and message.lead_id != report.lead_id)
    ):
        return error(404, UNKNOWN_MESSAGE, message_log_id=message_log_id)
    if message.status in (Status.SENDING, *_ALREADY_AS[report.status]):
        return None
    if message.status == Status.QUEUED:
        return error(409, NOT_CLAIMED, message_log_id=message_log_id)
    return error(409, ALREADY.format(status=message.status), message_log_id=message_log_id)


# A report met by a message already in one of these states is not refused: it was recorded
# already (a report sent twice), or the message did go after its claim expired (unknown).
_ALREADY_AS = {
    "sent": (*SENT_OR_LATER, Status.UNKNOWN),
    "failed": (Status.FAILED, Status.QUEUED),
    "no_answer": (Status.UNKNOWN, *SENT_OR_LATER),
    "not_sent": (Status.QUEUED, Status.FAILED),
}


def _outcome(report: payloads.Report, message: MessageLog, now: Any) -> claims.Outcome:
    """What the report means for the message. A sent_at is taken within the claim's window,
    on the database's clock: never before the claim, never in the future."""
    if report.status == Status.SENT:
        sent_at = min(max(report.sent_at or now, message.claimed_at or now), now)
        fields = {
            "sent_at": sent_at,
            "provider_message_id": report.provider_message_id,
            "thread_id": report.thread_id,
        }
        return claims.Outcome(message, Status.SENT, fields)
    if report.status == "no_answer":
        # Gmail may have it: never sent again. Gmail not answering, the account rests, as
        # after the direct sender's uncertain send.
        said = report.error or NO_ANSWER
        resting = claims.RESTING_AFTER.format(error=said)
        fields = {"error_message": said}
        return claims.Outcome(message, Status.UNKNOWN, fields, claims.REST_FIRST, resting)
    if report.status == "not_sent":
        return claims.passing_failure(message, report.error or NOT_SENT)
    said = report.error or "failed in n8n"
    answer = (report.gmail_status, report.gmail_reason) if report.gmail_status else None
    status, reason = answer or failures.gmail_answer(said) or (None, "")
    kind = gmail.PERMANENT if status is None else gmail.answer_kind(status, reason)
    if kind == gmail.QUOTA:
        fields = {"claimed_at": None, "error_message": said}
        return claims.Outcome(
            message, Status.QUEUED, fields, QUOTA_REST, f"Gmail limit reached: {said}"
        )
    if kind == gmail.PASSING or failures.never_sent(said):
        return claims.passing_failure(message, said)
    return claims.Outcome(message, Status.FAILED, {"error_message": said})


def _rest_accounts(outcomes: list[claims.Outcome], now: Any) -> None:
    """Each account with a message back in the queue rests, as long as its longest rest."""
    rests: dict[Any, claims.Outcome] = {}
    for outcome in outcomes:
        account = outcome.message.email_account
        if outcome.rest is None or account is None:
            continue
        kept = rests.get(account.pk)
        if kept is None or (kept.rest or timedelta(0)) < outcome.rest:
            rests[account.pk] = outcome
    for outcome in rests.values():
        assert outcome.message.email_account is not None and outcome.rest is not None
        outcome.message.email_account.rest(outcome.rest, outcome.rest_reason, now=now)


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


@signed_api(atomic=False)  # long (a queuing taken over), and safe to run twice
def tick(request: HttpRequest, data: dict) -> JsonResponse:
    """The periodic jobs, for n8n's schedule workflow (the same function the direct sender
    runs): scheduled launches start, stale claims expire, A/B tests are decided, due
    sequence steps are queued and handed to n8n... Answers each job's count, the sequence
    tick's figures, and the jobs that failed (logged; the others ran)."""
    payloads.nothing(data)
    result = jobs.run_periodic_jobs()
    tick = result.tick()
    return JsonResponse(
        {
            **result.counts(),
            "enrolled": tick.enrolled,
            "stopped": tick.stopped,
            "queued": tick.queued,
            "completed": tick.completed,
            "dispatch_ids": [str(pk) for pk in tick.dispatches],
            "failed": result.failed,
        }
    )


@signed_api(atomic=False)
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
