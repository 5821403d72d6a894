"""The project's URLs plus the ingest benchmark's peer: the spec's log-message view done
plainly (a bearer token, then a get and a save of the changed fields per message). Mounted
only by the benchmark."""

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path
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


urlpatterns = [*project_urls, path("bench/naive-log-message/", naive_log_message)]
