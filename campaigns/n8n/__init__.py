"""n8n mode: the signed campaign-dispatch call to n8n, with the spec's payload and the URLs of
the API that n8n calls back."""

import json
import logging
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import requests
from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce, Now
from django.urls import reverse

from campaigns.content import public_address
from campaigns.models import Campaign, Dispatch
from campaigns.n8n import signing

log = logging.getLogger(__name__)
session = requests.Session()


def _url(name: str, *args: Any) -> str:
    return public_address.base_url() + reverse(name, args=args)


def dispatch_payload(dispatch: Dispatch) -> dict[str, Any]:
    campaign, step, account = dispatch.campaign, dispatch.campaign_step, dispatch.email_account
    audience: dict[str, Any]
    if step is None:  # a sequence tick: the leads whose step fell due, maybe several steps
        leads = dispatch.message_logs.values_list("lead_id", flat=True)
        audience = {"lead_ids": [str(pk) for pk in leads]}
    elif campaign.audience == Campaign.Audience.FILTER:
        audience = {"filter": campaign.audience_filter}
    else:
        chosen = campaign.chosen_leads.values_list("pk", flat=True)
        audience = {"lead_ids": [str(pk) for pk in chosen]}
    template = None
    if step is not None:
        template = {
            "subject": step.subject,
            "body_html": step.body_template,
            "body_text": step.text_template,
        }
    return {
        "campaign_id": str(campaign.pk),
        "organization_id": str(dispatch.organization_id),
        "campaign_type": campaign.type,
        "email_account_id": str(account.pk),
        "sender": {
            "email": account.email_address,
            "name": account.display_name,
            "reply_to": account.reply_to or None,
        },
        "audience": {**audience, "total": dispatch.total, "skipped": dispatch.skipped},
        "template": template,
        "campaign_step_id": str(step.pk) if step else None,
        "dispatch_id": str(dispatch.pk),
        "settings": {
            "send_immediately": dispatch.send_after is None,
            "schedule_time": dispatch.send_after.isoformat() if dispatch.send_after else None,
            "timezone": campaign.organization.timezone,
        },
        # Messages are rendered and frozen by Django: n8n claims them ready to send.
        "api": {
            "claim_url": _url("api_dispatch_claim", dispatch.pk),
            "token_url": _url("api_dispatch_token", dispatch.pk),
            "log_url": _url("api_log_message"),
            "status_url": _url("api_status"),
        },
    }


def silence() -> timedelta:
    """How long a run may go without claiming (past a wait Django asked for) before the
    watchdog asks n8n for another (settings.N8N_WATCHDOG_MINUTES)."""
    return timedelta(minutes=settings.N8N_WATCHDOG_MINUTES)


def notify(dispatch_id: UUID, *, again: bool = False, attempts: int | None = None) -> bool:
    """POST the dispatch to n8n once it is committed (`again`: for a new run, from the
    watchdog); retried on 5xx and network errors, within the signature's tolerance
    (N8N_NOTIFY_ATTEMPTS, or `attempts`, and its backoff keep it short). A run is expected
    from now on; when n8n cannot be told, none is, and the watchdog tries again on its next
    pass."""
    attempts = attempts or settings.N8N_NOTIFY_ATTEMPTS
    dispatch = Dispatch.objects.select_related(
        "campaign__organization", "campaign_step", "email_account"
    ).get(pk=dispatch_id)
    if dispatch.notified_at and not again:
        return True
    Dispatch.objects.filter(pk=dispatch.pk).update(
        run_due_by=Now() + silence(), runs_started=F("runs_started") + 1
    )
    body = json.dumps(dispatch_payload(dispatch)).encode()
    url = settings.N8N_BASE_URL + settings.N8N_DISPATCH_PATH
    # One logical call: every retry sends the same signed bytes, request id and timestamp.
    signature = signing.sign(body, method="POST", path=urlsplit(url).path)
    problem = ""
    for attempt in range(attempts):
        try:
            response = session.post(
                url,
                data=body,
                timeout=settings.N8N_TIMEOUT_SECONDS,
                headers={"Content-Type": "application/json", signing.HEADER: signature},
            )
        except requests.RequestException as error:
            problem = f"n8n unreachable ({type(error).__name__})"
        else:
            if response.status_code < 300:
                Dispatch.objects.filter(pk=dispatch.pk).update(
                    notified_at=Coalesce("notified_at", Now()), notify_error=""
                )
                return True
            problem = f"n8n answered HTTP {response.status_code}"
            if response.status_code < 500 and response.status_code != 429:
                break
        if attempt + 1 < attempts:
            time.sleep(settings.N8N_NOTIFY_BACKOFF_SECONDS * 2**attempt)
    Dispatch.objects.filter(pk=dispatch.pk).update(notify_error=problem, run_due_by=None)
    log.error("dispatch %s: could not reach n8n: %s", dispatch.pk, problem)
    return False
