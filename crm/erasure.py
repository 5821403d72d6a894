"""*Forget this lead*: a lead erased at their request (GDPR art. 17). The lead and
everything recorded about them go (messages, consent records, sequences: the database
cascades); their address stays on the suppression list as a keyed hash only, so that a
later import, form or API call cannot email them again (crm/suppression.py)."""

import logging
from typing import Any

from django.db import transaction

from crm.models import Lead
from crm.suppression import forget_address

log = logging.getLogger(__name__)


def lead_forget(*, lead: Lead, by: Any = None) -> None:
    """Erase the lead; only the hash of their address is kept (never logged in clear)."""
    with transaction.atomic():
        forget_address(organization=lead.organization_id, email=lead.email)
        Lead.objects.filter(pk=lead.pk).delete()
    log.info("lead %s erased at their request by user %s", lead.pk, getattr(by, "pk", None))
