"""The JSON API that n8n calls: claim messages, get an access token, log results, report
status. Every call is signed (see signing.py); ids are checked against the dispatch."""

import functools
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns import dispatch as dispatching
from campaigns import gmail, messages, outbox, replies, sending, sequences, signing
from campaigns.models import Campaign, Dispatch, EmailAccount, MessageLog

Status = MessageLog.Status
MAX_BATCH = 500
REPORTABLE = {Status.SENT, Status.FAILED}
FINAL_REPORTS = {"completed", "failed"}


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def signed_api(view: Callable) -> Callable:
    """Signature first (401), then JSON (400): nothing is read or written before both."""

    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            signing.verify(request.headers.get(signing.HEADER, ""), request.body)
        except signing.SignatureError:
            return error(401, "invalid or missing signature")
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return error(400, "the body is not valid JSON")
        if not isinstance(data, dict):
            return error(400, "the body must be a JSON object")
        return view(request, data, *args, **kwargs)

    return wrapper


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _dispatch(dispatch_id: Any) -> Dispatch | None:
    return (
        Dispatch.objects.select_related("campaign", "email_account")
        .filter(pk=dispatch_id, driver=Dispatch.Driver.N8N)
        .first()
    )


@signed_api
def claim(request: HttpRequest, data: dict, dispatch_id: Any) -> JsonResponse:
    """Lease up to `limit` queued messages of the dispatch, rendered and ready (`raw`)."""
    dispatch = _dispatch(dispatch_id)
    if dispatch is None:
        return error(404, "unknown dispatch")
    limit = data.get("limit", 50)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
        return error(400, f"limit must be a whole number from 1 to {MAX_BATCH}")
    if (
        dispatch.status != Dispatch.Status.RUNNING
        or dispatch.campaign.status != Campaign.Status.ACTIVE
    ):
        return JsonResponse({"messages": [], "remaining": 0, "state": dispatch.campaign.status})
    account = dispatch.email_account
    claimed = outbox.claim_for_dispatch(dispatch, limit)
    batch = [
        {
            "message_log_id": str(message.pk),
            "lead_id": str(message.lead_id),
            "campaign_id": str(message.campaign_id),
            "to": message.to_email,
            "thread_id": message.thread_id or None,
            "raw": messages.gmail_raw(sending.build_for(message, account)),
            # The message's slot under the account's per-minute quota.
            "send_after_seconds": round(index * claimed.spacing, 3),
        }
        for index, message in enumerate(claimed.messages)
    ]
    remaining = MessageLog.objects.filter(dispatch=dispatch, status=Status.QUEUED).count()
    answer = {"messages": batch, "remaining": remaining, "state": "active"}
    if claimed.retry_after is not None:
        # Nothing may be sent yet (the account's quota, cap or rest): come back then.
        answer.update(retry_after=round(claimed.retry_after, 3), waiting=claimed.reason)
    return JsonResponse(answer)


@signed_api
def token(request: HttpRequest, data: dict, dispatch_id: Any) -> JsonResponse:
    """A short-lived access token for the dispatch's account; n8n never sees the refresh token."""
    dispatch = _dispatch(dispatch_id)
    if dispatch is None:
        return error(404, "unknown dispatch")
    account = dispatch.email_account
    if account.provider != EmailAccount.Provider.GMAIL:
        return error(409, "this account is not a Gmail account")
    try:
        access = gmail.access_token(account)
    except gmail.TokenRevoked:  # the account was marked and its campaigns paused
        return error(409, "reconnect_needed")
    except gmail.GmailError as failure:
        return error(502, f"token refresh failed: {failure}")
    return JsonResponse(
        {"access_token": access, "expires_at": account.token_expires_at.isoformat()}
    )


def _report(item: Any) -> tuple[dict | None, JsonResponse | None]:
    if not isinstance(item, dict):
        return None, error(400, "each message report must be an object")
    status = item.get("status")
    if not isinstance(status, str) or status not in REPORTABLE:
        return None, error(400, "status must be “sent” or “failed”")
    log_id, campaign_id = _uuid(item.get("message_log_id")), _uuid(item.get("campaign_id"))
    log = (
        log_id
        and campaign_id
        and MessageLog.objects.filter(
            pk=log_id, campaign_id=campaign_id, dispatch__driver=Dispatch.Driver.N8N
        ).first()
    )
    if not log or (item.get("lead_id") and str(log.lead_id) != str(item["lead_id"])):
        return None, error(404, "unknown message for this campaign")
    return {"log": log, "item": item}, None


@signed_api
def log_message(request: HttpRequest, data: dict) -> JsonResponse:
    """The spec's log-message payload, or {"messages": [...]} for a batch. Idempotent."""
    items = data["messages"] if isinstance(data.get("messages"), list) else [data]
    if not items or len(items) > MAX_BATCH:
        return error(400, f"send 1 to {MAX_BATCH} message reports")
    reports = []
    for item in items:
        report, failure = _report(item)
        if failure:
            return failure
        log = report["log"]
        if log.status == Status.QUEUED:
            return error(409, "this message was not claimed", message_log_id=str(log.pk))
        if log.status not in (Status.SENDING, item["status"]):
            return error(409, f"this message is already {log.status}", message_log_id=str(log.pk))
        reports.append(report)
    results = []
    with transaction.atomic():
        for report in reports:
            log, item = report["log"], report["item"]
            fields: dict[str, Any] = {}
            if item["status"] == Status.SENT:
                fields["sent_at"] = parse_datetime(str(item.get("sent_at") or "")) or timezone.now()
                fields["provider_message_id"] = str(item.get("provider_message_id") or "")[:255]
                fields["thread_id"] = str(item.get("thread_id") or "")[:255]
            else:
                fields["error_message"] = str(item.get("error") or "failed in n8n")[:2000]
            changed = outbox.finish(log, item["status"], **fields)
            results.append(
                {"message_log_id": str(log.pk), "status": item["status"], "changed": changed}
            )
    return JsonResponse({"results": results})


@signed_api
def status(request: HttpRequest, data: dict) -> JsonResponse:
    """The spec's status callback: processing, completed or failed, with stats and errors."""
    reported = data.get("status")
    if not isinstance(reported, str) or reported not in {"processing", *FINAL_REPORTS}:
        return error(400, "status must be processing, completed or failed")
    campaign_id = _uuid(data.get("campaign_id"))
    dispatches = Dispatch.objects.filter(campaign_id=campaign_id, driver=Dispatch.Driver.N8N)
    if data.get("dispatch_id"):
        dispatches = dispatches.filter(pk=_uuid(data["dispatch_id"]))
    found = dispatches.order_by("-created_at").first() if campaign_id else None
    if found is None:
        return error(404, "unknown campaign or dispatch")
    stats = data.get("stats") if isinstance(data.get("stats"), dict) else {}
    errors = data.get("errors") if isinstance(data.get("errors"), list) else []
    Dispatch.objects.filter(pk=found.pk).update(
        reported_status=reported, reported_stats=stats, reported_errors=errors[:100]
    )
    if reported in FINAL_REPORTS:
        dispatching.finish_dispatches()
    found.refresh_from_db()
    return JsonResponse({"dispatch_id": str(found.pk), "status": found.status})


@signed_api
def tick(request: HttpRequest, data: dict) -> JsonResponse:
    """The sequence tick, for an n8n schedule workflow: queue what is due, hand it to n8n."""
    result = sequences.tick()
    return JsonResponse(
        {
            "enrolled": result.enrolled,
            "stopped": result.stopped,
            "queued": result.queued,
            "completed": result.completed,
            "dispatch_ids": [str(pk) for pk in result.dispatches],
        }
    )


@signed_api
def check_replies(request: HttpRequest, data: dict) -> JsonResponse:
    """Reply and bounce detection, for an n8n schedule: every opted-in account is read."""
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
