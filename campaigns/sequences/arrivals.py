"""A lead who arrives through a key that names a sequence ("every web lead gets New lead
nurture") is enrolled in it at once, if the sequence runs; enrolled once, whatever the
number of posts (campaigns/sequences/schedule.enroll passes over the enrolled)."""

from django.utils import timezone

from campaigns.models import Campaign
from campaigns.sequences import schedule
from crm.inbound.arrivals import on_arrival
from crm.models import InboundKey, Lead


def enrol_arrival(lead: Lead, key: InboundKey, created: bool) -> None:
    if key.enrol_in is None:
        return
    sequence = Campaign.objects.filter(
        pk=key.enrol_in,
        organization=lead.organization_id,
        type=Campaign.Type.SEQUENCE,
        # A draft or finished sequence enrols nobody; a paused one keeps them waiting.
        status__in=Campaign.LIVE,
    ).first()
    if sequence is not None:
        schedule.enroll(sequence, Lead.objects.filter(pk=lead.pk), timezone.now())


def register() -> None:
    on_arrival(enrol_arrival)
