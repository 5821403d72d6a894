"""Request ids of signed calls (the `n` of X-Signature, like Standard Webhooks' webhook-id).

A call retried with the same id, method, path and body runs once: every retry gets the
first answer (status and body), so n8n can retry a claim after a timeout and receive the
batch it was given. The same id with other bytes is refused (409).

The id is taken by inserting its row; the database's primary key decides between
simultaneous calls (PostgreSQL makes the second INSERT wait for the first to commit;
SQLite takes its write lock at BEGIN). Most calls (claim, log-message, status) take
it inside their own transaction (`signed_request_take`), with their work and their answer:
a process killed at any point leaves the three, or none of them, so a retry gets the first
answer or runs afresh. The calls that wait on Google (token, reply check) or run long
jobs (the tick) take it in a
short transaction of their own and run outside it (`signed_request_begin`): holding one
around HTTP would hold SQLite's write lock. A second call that finds such a first still
running waits for its answer a few seconds; one that finds it abandoned (no answer after
ABANDONED_AFTER: its process died) runs, as running those twice does no harm.

An answer that carries a secret (the token call's access token) is not kept: its row keeps
the status and the fingerprint only, and a retry runs the call again (a fresh token, the
same one while it lives). No live token waits in the table in plain text.
"""

import hashlib
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from campaigns.models import SignedRequest

REUSED = "this request id was already used for another request"
STILL_RUNNING = "the first call with this request id is still running: retry in a moment"
REPLAYED_HEADER = "Idempotent-Replayed"
WAIT_SECONDS = 10.0
# What an answer that was not kept leaves in its row (a kept answer is JSON, never empty).
NOT_KEPT = ""
# Longer than any call may run (gunicorn's timeout): an id still unanswered was abandoned.
ABANDONED_AFTER = timedelta(seconds=90)
POLL_SECONDS = 0.05


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(f"{method.upper()}.{path}.".encode() + body).hexdigest()


def kept_for() -> timedelta:
    """A signature verifies within the tolerance either side of its timestamp, so an id is
    kept twice as long: no valid retry can arrive after its row is gone."""
    return timedelta(seconds=2 * settings.N8N_SIGNATURE_TOLERANCE_SECONDS)


def forget_expired() -> None:
    """Ids past their time are deleted, in a statement of their own: inside a call's
    transaction their row locks would make every other call wait for that one."""
    SignedRequest.objects.filter(created_at__lt=timezone.now() - kept_for()).delete()


def _take(request_id: str, fingerprint: str, *, forget: bool = True) -> bool:
    now = timezone.now()
    try:
        with transaction.atomic():
            if forget:
                forget_expired()
            SignedRequest.objects.create(
                request_id=request_id, fingerprint=fingerprint, created_at=now
            )
    except IntegrityError:
        return False
    return True


def _replay(earlier: SignedRequest) -> HttpResponse:
    replay = HttpResponse(
        earlier.response, status=earlier.status_code, content_type="application/json"
    )
    replay[REPLAYED_HEADER] = "true"
    return replay


def _busy() -> HttpResponse:
    busy = JsonResponse({"error": STILL_RUNNING}, status=409)
    busy["Retry-After"] = "1"
    return busy


def signed_request_take(*, request_id: str, fingerprint: str) -> HttpResponse | None:
    """Inside the call's transaction (after `forget_expired`, outside it): None when the id
    is new (its row is this call's now, and commits or rolls back with the call's work and
    answer); otherwise the answer to give instead: the first call's again, or a 409."""
    for _ in range(2):  # a row deleted between the INSERT and the read: once more
        if _take(request_id, fingerprint, forget=False):
            return None
        earlier = SignedRequest.objects.filter(pk=request_id).first()
        if earlier is None:
            continue
        if earlier.fingerprint != fingerprint:
            return JsonResponse({"error": REUSED}, status=409)
        if earlier.status_code is not None:
            return _replay(earlier)
        break
    return _busy()


def signed_request_begin(*, request_id: str, fingerprint: str) -> HttpResponse | None:
    """None when the id is new: it is now this call's, which runs. Otherwise the answer to
    give instead: the first call's answer again, or a 409."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not _take(request_id, fingerprint):
        earlier = SignedRequest.objects.filter(pk=request_id).first()
        if earlier is None:  # the first call failed and let its id go: this one runs
            continue
        if earlier.fingerprint != fingerprint:
            return JsonResponse({"error": REUSED}, status=409)
        if earlier.status_code is not None and earlier.response == NOT_KEPT:
            return None  # the first answer held a secret and was not kept: run again
        if earlier.status_code is not None:
            return _replay(earlier)
        if earlier.created_at < timezone.now() - ABANDONED_AFTER:
            # Its process died mid-call: the id is let go, and this call runs.
            SignedRequest.objects.filter(
                pk=request_id, status_code__isnull=True, created_at=earlier.created_at
            ).delete()
            continue
        if time.monotonic() >= deadline:
            return _busy()
        time.sleep(POLL_SECONDS)
    return None


def signed_request_end(*, request_id: str, response: HttpResponse, keep: bool = True) -> None:
    """Keep the answer for retries, unless `keep` is False (it holds a secret): then only
    that it ended is kept, and a retry runs again. A 5xx answer (an upstream failure;
    nothing changed) is not kept either: the id is let go, so a retry runs the call again."""
    if response.status_code >= 500:
        signed_request_abandon(request_id=request_id)
        return
    SignedRequest.objects.filter(pk=request_id).update(
        status_code=response.status_code,
        response=response.content.decode() if keep else NOT_KEPT,
    )


def signed_request_abandon(*, request_id: str) -> None:
    """The call raised: nothing answered, so a retry may run it."""
    SignedRequest.objects.filter(pk=request_id, status_code__isnull=True).delete()
