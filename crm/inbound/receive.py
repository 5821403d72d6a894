"""A lead sent alone, through a key: read and written as the import would (crm/importing/
lead_import.lead_upsert), idempotent by email, then handed to the apps that act on it
(crm/inbound/arrivals.py)."""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from crm import consent
from crm.importing.csv_reading import CsvFileError, RowError
from crm.importing.lead_import import lead_upsert
from crm.inbound import arrivals
from crm.models import InboundKey, Lead

log = logging.getLogger(__name__)
# Fields of a post that are not the lead's: the words the form showed beside its consent
# box (`consent_wording`) are kept with the consent record it makes.
CONSENT_WORDING = "consent_wording"
NOT_LEAD_FIELDS = ("key", "_gotcha", "_redirect", CONSENT_WORDING)
HONEYPOT = "_gotcha"
FROM_KEY = "web form “{name}” ({prefix}…)"


@dataclass
class Received:
    """What happened to a lead sent alone: the lead (None when refused), whether it is
    new or changed, and the problems by field."""

    lead: Lead | None
    created: bool = False
    changed: bool = False
    errors: list[RowError] = field(default_factory=list)
    left_out: list[RowError] = field(default_factory=list)


def lead_receive(*, key: InboundKey, fields: dict[str, Any]) -> Received:
    """Create or update the key's agency's lead from `fields` (a form's names: `email`,
    `first_name`, `phone`, `budget`, `tags`, `message`...). A new lead gets the key as the
    way it came and the key's source when it gives none."""
    values = {name: value for name, value in fields.items() if name not in NOT_LEAD_FIELDS}
    started = timezone.now()
    try:
        report, lead = lead_upsert(
            organization=key.organization,
            fields=values,
            for_new={"inbound_key": key, "source": key.source or key.name},
            source_name=FROM_KEY.format(name=key.name, prefix=key.prefix),
        )
    except CsvFileError as error:
        return Received(None, errors=[RowError(1, "email", str(error))])
    InboundKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    if lead is None:
        return Received(None, errors=report.errors)
    consent.form_evidence_add(
        lead=lead,
        since=started,
        wording=str(fields.get(CONSENT_WORDING, "")).strip(),
        today=consent.today_of(key.organization),
    )
    received = Received(lead, bool(report.created), bool(report.updated), left_out=report.changes)
    try:
        arrivals.arrived(lead, key, received.created)
    except Exception:  # the lead is kept; what failed after it is logged, not the sender's
        log.exception("after lead %s arrived through key %s", lead.pk, key.pk)
    return received
