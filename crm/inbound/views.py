"""POST /api/leads/: a lead from the agency's web form (a plain HTML form post) or from a
tool (JSON), with one of the agency's keys (docs/importing.md has a form to copy).

The key comes in `Authorization: Bearer <key>`, an `X-Api-Key` header, or a `key` field
(an HTML form cannot set headers: such a key is public by nature, hence one key per form,
revocable, and the limits below). A filled honeypot field (`_gotcha`, hidden from people)
is answered as a success and nothing is kept. Posts are limited per key and per client
address (django-ratelimit). The same lead posted twice is one lead (matched by email).
"""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from crm.inbound.keys import key_for
from crm.inbound.receive import HONEYPOT, lead_receive
from crm.site.login import client_address

NO_KEY = (
    "A key is needed: send it as “Authorization: Bearer <key>”, an X-Api-Key header or a "
    "“key” field (Leads → Lead form keys)."
)
WRONG_KEY = "This key is not one of ours."
REVOKED_KEY = "This key was revoked: ask the agency for a new one."
NOT_POST = "Send leads with POST (JSON, or a form)."
BAD_JSON = 'The body is not a JSON object of fields (e.g. {"email": "ana@example.com"}).'
TOO_MANY_FIELDS = "A lead has at most {limit} fields."
TOO_FAST = "Too many leads from here in a short time: try again in a minute."
MAX_FIELDS = 100
MAX_VALUE = 10_000  # characters of one field


def _fields(request: HttpRequest) -> tuple[dict[str, Any] | None, bool]:
    """The posted fields, and whether they came as a browser's form; None when the body
    cannot be read."""
    kind = request.content_type or ""
    if kind == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None, False
        if not isinstance(data, dict) or not all(
            isinstance(value, str | int | float | list) or value is None for value in data.values()
        ):
            return None, False
        fields = {
            str(name): ", ".join(map(str, value)) if isinstance(value, list) else value
            for name, value in data.items()
        }
        return {name: "" if value is None else str(value) for name, value in fields.items()}, False
    # A form: several values of one name (tags ticked) are joined.
    form = {name: ", ".join(request.POST.getlist(name)) for name in request.POST}
    return form, True


def _secret(request: HttpRequest, fields: dict[str, Any]) -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return (request.headers.get("X-Api-Key") or str(fields.get("key", ""))).strip()


def _answer(
    request: HttpRequest, is_form: bool, status: int, body: dict[str, Any], thanks: str = ""
) -> HttpResponse:
    """JSON for tools; for a browser's form, the key's thank-you page or a page of ours."""
    wants_html = is_form and "application/json" not in request.headers.get("Accept", "")
    if not wants_html:
        return JsonResponse(body, status=status)
    if status < 300 and thanks:
        return redirect(thanks)
    html = render_to_string(
        "crm/inbound/answer.html",
        {"ok": status < 300, "body": body, "problems": body.get("errors", [])},
    )
    return HttpResponse(html, status=status)


@csrf_exempt
def leads_api(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"error": NOT_POST}, status=405, headers={"Allow": "POST"})
    fields, is_form = _fields(request)
    if fields is None:
        return JsonResponse({"error": BAD_JSON}, status=400)
    secret = _secret(request, fields)
    if not secret:
        return _answer(request, is_form, 401, {"error": NO_KEY})
    # Counted per address before the key is checked: guessing keys is limited too.
    if is_ratelimited(
        request,
        group="leads-api-address",
        key=lambda group, req: client_address(req),
        rate=settings.LEADS_API_RATE_PER_ADDRESS,
        increment=True,
    ):
        return _too_fast(request, is_form)
    key = key_for(secret)
    if key is None:
        return _answer(request, is_form, 401, {"error": WRONG_KEY})
    if key.revoked_at is not None:
        return _answer(request, is_form, 401, {"error": REVOKED_KEY})
    if is_ratelimited(
        request,
        group="leads-api-key",
        key=lambda group, req: str(key.pk),
        rate=settings.LEADS_API_RATE_PER_KEY,
        increment=True,
    ):
        return _too_fast(request, is_form)
    if len(fields) > MAX_FIELDS:
        return _answer(request, is_form, 400, {"error": TOO_MANY_FIELDS.format(limit=MAX_FIELDS)})
    if str(fields.get(HONEYPOT, "")).strip():
        # A robot filled the field people do not see: it is told all went well.
        return _answer(request, is_form, 200, {"accepted": True}, key.thanks_url)
    received = lead_receive(
        key=key, fields={name: str(value)[:MAX_VALUE] for name, value in fields.items()}
    )
    if received.lead is None:
        errors = [{"field": error.column, "message": error.message} for error in received.errors]
        return _answer(request, is_form, 400, {"errors": errors})
    body = {
        "lead": str(received.lead.pk),
        "created": received.created,
        "changed": received.changed,
        "left_out": [
            {"field": change.column, "message": change.message} for change in received.left_out
        ],
    }
    return _answer(request, is_form, 201 if received.created else 200, body, key.thanks_url)


def _too_fast(request: HttpRequest, is_form: bool) -> HttpResponse:
    response = _answer(request, is_form, 429, {"error": TOO_FAST})
    response["Retry-After"] = "60"
    return response
