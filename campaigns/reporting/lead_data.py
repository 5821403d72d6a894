"""Everything the agency holds about one lead, as one JSON document: the answer to an
access request (GDPR art. 15) in one click on the lead's page. Consent history first, then
opt-outs, the suppression list's entries, sequences, auto-replies and every message."""

import datetime
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from campaigns.models import AutoReply, Enrollment, MessageLog, OptOut
from crm import consent
from crm.models import Lead, SuppressedAddress

LEAD_FIELDS = [
    "name",
    "email",
    "phone",
    "city",
    "status",
    "budget_min",
    "budget_max",
    "source",
    "consent_basis",
    "consent_date",
    "unsubscribed_at",
    "created_at",
    "updated_at",
]
MESSAGE_FIELDS = [
    "created_at",
    "campaign__name",
    "to_email",
    "subject",
    "status",
    "sent_at",
    "opened_at",
    "clicked_at",
    "replied_at",
    "bounced_at",
    "unsubscribed_at",
]


def lead_data(lead: Lead, now: datetime.datetime | None = None) -> dict[str, Any]:
    """The lead's data as plain values (dates as ISO strings once dumped)."""
    standing = consent.standing(lead, now)
    return {
        "lead": {name: getattr(lead, name) for name in LEAD_FIELDS}
        | {
            "organization": lead.organization.name,
            "agent": lead.owner.get_username() if lead.owner else None,
            "property": lead.property.title if lead.property else None,
        },
        "may_be_emailed": {"allowed": standing.allowed, "why": standing.text},
        "consent_history": list(
            lead.consent_records.values(
                "recorded_at",
                "basis",
                "given_on",
                "source",
                "source_detail",
                "wording",
                "recorded_by__username",
            )
        ),
        "opt_outs": list(
            OptOut.objects.filter(lead=lead).values("created_at", "campaign__name", "kind")
        ),
        "suppression_list": list(
            SuppressedAddress.objects.filter(
                organization=lead.organization_id, email=lead.email.strip().lower()
            ).values("created_at", "reason", "detail")
        ),
        "sequences": list(
            Enrollment.objects.filter(lead=lead).values(
                "campaign__name", "state", "stop_reason", "started_at", "next_due_at"
            )
        ),
        "auto_replies": list(
            AutoReply.objects.filter(lead=lead).values("received_at", "subject", "return_date")
        ),
        "messages": list(
            MessageLog.objects.filter(lead=lead, is_test=False)
            .order_by("created_at")
            .values(*MESSAGE_FIELDS)
        ),
    }


def lead_data_json(lead: Lead) -> str:
    return json.dumps(lead_data(lead), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
