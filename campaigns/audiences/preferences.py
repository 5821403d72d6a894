"""A lead's narrower opt-outs (the preference page): one campaign, or one kind of campaign.
A listing alert's email is a blast of its own; it counts as its listing alert campaign, so
leaving "listing alerts" or that campaign stops every alert it sends."""

from typing import Any

from django.db.models import Exists, OuterRef, Q

from campaigns.audiences import listing_fit
from campaigns.models import Campaign, OptOut
from crm.models import Lead


def preference_target(campaign: Campaign) -> tuple[Any, str]:
    """The campaign (id) and the kind a lead leaves when leaving this campaign's emails."""
    alert = listing_fit.alert_of(campaign)
    if alert is not None:
        return alert.campaign_id, Campaign.Type.LISTING_ALERT
    return campaign.pk, campaign.type


def left(campaign: Campaign) -> Q:
    """Leads who left this campaign, or its kind, on their preference page."""
    campaign_id, kind = preference_target(campaign)
    opt_outs = OptOut.objects.filter(lead=OuterRef("pk")).filter(
        Q(campaign=campaign_id) | Q(kind=kind)
    )
    return Q(Exists(opt_outs))


def has_left(lead: Lead, campaign: Campaign) -> bool:
    campaign_id, kind = preference_target(campaign)
    return OptOut.objects.filter(lead=lead).filter(Q(campaign=campaign_id) | Q(kind=kind)).exists()
