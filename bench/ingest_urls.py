"""The project's URLs plus the ingest benchmark's peers: the spec's log-message view done
plainly (a bearer token, then a get and a save of the changed fields per message), and a
plain batch view (a bearer token, the batch's messages read in one locked query, one
bulk_update). Mounted only by the benchmark."""

import hmac
import json

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns.models import MessageLog
from settings.urls import urlpatterns as project_urls


@csrf_exempt
@require_POST
def naive_log_message(request: HttpRequest) -> JsonResponse:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not hmac.compare_digest(token, settings.N8N_WEBHOOK_SECRET[0]):
        return JsonResponse({"error": "unauthorized"}, status=401)
    data = json.loads(request.body)
    log = MessageLog.objects.get(campaign_id=data["campaign_id"], lead_id=data["lead_id"])
    log.status = data["status"]
    log.provider_message_id = data.get("provider_message_id", "")
    log.sent_at = parse_datetime(data.get("sent_at", ""))
    log.save(update_fields=["status", "provider_message_id", "sent_at", "updated_at"])
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
def plain_batch_log_message(request: HttpRequest) -> JsonResponse:
    """A batch of reports ({"messages": [...]}, as ours takes them): the batch's messages
    read in one query, locked (two reports of one message never race), updated by one
    bulk_update."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not hmac.compare_digest(token, settings.N8N_WEBHOOK_SECRET[0]):
        return JsonResponse({"error": "unauthorized"}, status=401)
    reports = {item["message_log_id"]: item for item in json.loads(request.body)["messages"]}
    now = timezone.now()
    with transaction.atomic():
        logs = list(MessageLog.objects.select_for_update().filter(pk__in=list(reports)))
        for log in logs:
            report = reports[str(log.pk)]
            log.status = report["status"]
            log.provider_message_id = report.get("provider_message_id", "")
            log.sent_at = parse_datetime(report.get("sent_at", ""))
            log.updated_at = now
        MessageLog.objects.bulk_update(
            logs, ["status", "provider_message_id", "sent_at", "updated_at"]
        )
    return JsonResponse({"ok": True, "recorded": len(logs)})


urlpatterns = [
    *project_urls,
    path("bench/naive-log-message/", naive_log_message),
    path("bench/plain-batch-log-message/", plain_batch_log_message),
]
