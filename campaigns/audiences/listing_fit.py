"""Reads for listing alerts: which listing a campaign's messages are about (the template's
`property` and `listing_card`), and which leads an alert reaches."""

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from campaigns.content.rendering import Listing
from campaigns.models import AlertedLead, Campaign, ListingAlert
from crm.listing_matching import fitting_leads
from crm.models import Lead, Property


def alert_of(campaign: Campaign) -> ListingAlert | None:
    """The alert whose email this blast is, if it is one (kept on the instance: a launch
    renders many messages of one campaign)."""
    if campaign.type != Campaign.Type.BLAST:
        return None
    return getattr(campaign, "listing_alert", None)


def listing_of(alert: ListingAlert) -> Listing:
    old_price = alert.old_price if alert.reason == ListingAlert.Reason.PRICE_DROP else None
    return Listing(alert.property, old_price)


def sample_listing(campaign: Campaign) -> Listing | None:
    """What a listing alert campaign's own preview shows: its latest alert's listing, else
    the agency's newest property."""
    latest = campaign.listing_alerts.select_related("property").order_by("-created_at").first()
    if latest is not None:
        return listing_of(latest)
    newest = Property.objects.filter(organization=campaign.organization_id)
    item = newest.order_by("-created_at").first()
    return Listing(item) if item else None


def listing_for(step: Any) -> Listing | None:
    """The listing a step's messages are about: its alert's (the alert's blast), a sample
    (the listing alert campaign itself), or None (other campaigns: the lead's property)."""
    if step.campaign_id is None:
        return None  # a step typed on a campaign not saved yet
    campaign = step.campaign
    if campaign.type == Campaign.Type.LISTING_ALERT:
        return sample_listing(campaign)
    alert = alert_of(campaign)
    return listing_of(alert) if alert is not None else None


def reachable_leads(alert: ListingAlert) -> QuerySet[Lead]:
    """The leads the alert's listing fits (its campaign's statuses), less those another
    alert told about this listing already."""
    told = AlertedLead.objects.filter(property=alert.property_id, lead=OuterRef("pk"))
    # No status ticked: every lead but clients and lost leads, as for any campaign.
    statuses = alert.campaign.alert_statuses or Lead.EMAILED_BY_DEFAULT
    leads = fitting_leads(alert.property, statuses)
    return leads.exclude(Exists(told.exclude(alert=alert.pk)))


def alert_audience(alert: ListingAlert) -> QuerySet[Lead]:
    """Who the alert's blast goes to: while it waits, whoever it reaches now; once sent,
    exactly the leads recorded for it, whatever changed since."""
    if alert.state == ListingAlert.State.PENDING:
        return reachable_leads(alert)
    return Lead.objects.filter(organization=alert.organization_id, alerted__alert=alert)


def listening_audience(campaign: Campaign) -> QuerySet[Lead]:
    """A listing alert campaign's own audience (its page, its preview's leads): the leads its
    alerts may reach, those of its statuses with a city; each alert then takes the ones
    its listing fits."""
    leads = Lead.objects.filter(organization=campaign.organization_id).exclude(city="")
    return leads.filter(status__in=campaign.alert_statuses or Lead.EMAILED_BY_DEFAULT)
