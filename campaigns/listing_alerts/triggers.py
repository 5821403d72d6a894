"""Listing alerts: a property added, or its price dropped by a campaign's threshold, makes an
alert for each listing alert campaign of its agency that is on. The alert waits for staff
to review and send it (or is sent at once, when the campaign says so), through a blast of
its own launched like any other: the same outbox, paced and capped.

Properties are saved through `property_save`, an explicit service called wherever one is
saved (the admin, the demo), rather than a post_save signal: the price before the save is
read under a row lock in the same transaction, and the reader of the admin sees the one
call that can send email.

A price drop is measured from the price of the campaign's last alert about the listing
(before any, from the price before this save): a drop, a rise and the same drop again
alert once, and saving a property unchanged alerts nobody. A lead hears about a listing
once (campaigns.models.AlertedLead).
"""

import contextlib
import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, F, QuerySet, UUIDField, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from campaigns.audiences.listing_fit import reachable_leads
from campaigns.content.formats import price_text
from campaigns.launching import blasts
from campaigns.models import (
    AlertedLead,
    Campaign,
    CampaignStatusError,
    CampaignStep,
    Dispatch,
    ListingAlert,
    MessageLog,
)
from crm.listing_matching import listing_name, unfit_reason
from crm.models import Property
from crm.site.bulk import column_named

State = ListingAlert.State
NOBODY_FITS = (
    "No lead fits {listing} ({where}): nobody's city and budget match it, or all who match "
    "have heard about it already."
)
NO_STEP = "“{campaign}” has no email: add a step to it, then alerts can be made."
EMAIL_DELETED = "Its email (a draft campaign) was deleted: there is nothing to send."
ALREADY_DECIDED = "This alert is {state} already: nothing was done."
NOT_A_LISTING_ALERT = "Only a listing alert campaign is turned on this way."
ALREADY_ON = "This campaign is {status}: it cannot be turned on."
TURN_ON_NEEDS_STEP = "Add a step (the alert's email) before turning alerts on."


class AlertError(Exception):
    """An alert that could not be sent or decided on; the message is for staff."""


def property_save(*, item: Property, user: Any = None) -> list[ListingAlert]:
    """Save a property, new or changed, and make the alerts it calls for."""
    with transaction.atomic():
        created = item._state.adding
        old_price = None
        if not created:
            saved = Property.objects.select_for_update().filter(pk=item.pk)
            old_price = saved.values_list("price", flat=True).first()
        item.save()
        return alerts_trigger(item=item, old_price=old_price, created=created, user=user)


def alerts_trigger(
    *, item: Property, old_price: int | None, created: bool, user: Any = None
) -> list[ListingAlert]:
    """The alerts of the agency's listening campaigns about this property, as just saved."""
    listening = Campaign.objects.filter(
        organization=item.organization_id,
        type=Campaign.Type.LISTING_ALERT,
        status=Campaign.Status.ACTIVE,
    )
    alerts = []
    for campaign in listening.select_related("organization").order_by("created_at"):
        news = _news(campaign, item, old_price, created)
        if news is None:
            continue
        try:
            with transaction.atomic():
                alert = _alert_make(campaign, item, *news, user)
        except IntegrityError:
            continue  # a save at the same moment made this alert
        if alert.state == State.PENDING and campaign.alert_send_automatically:
            # Refused by the launch (no account...): it waits for review, saying why.
            with contextlib.suppress(AlertError):
                alert_send(alert=alert, user=None)
        alerts.append(alert)
    return alerts


def _news(
    campaign: Campaign, item: Property, old_price: int | None, created: bool
) -> tuple[str, int | None] | None:
    """(reason, old price) when the save is news for the campaign, else None."""
    if created:
        return (ListingAlert.Reason.NEW, None) if campaign.alert_new_listings else None
    if campaign.alert_price_drop is None or item.price is None:
        return None
    last = campaign.listing_alerts.filter(property=item).order_by("-created_at")
    reference = last.values_list("new_price", flat=True).first() or old_price
    if reference and item.price * 100 <= reference * (100 - campaign.alert_price_drop):
        return ListingAlert.Reason.PRICE_DROP, reference
    return None


def _alert_make(
    campaign: Campaign, item: Property, reason: str, old_price: int | None, user: Any
) -> ListingAlert:
    alert = ListingAlert(
        organization_id=campaign.organization_id,
        campaign=campaign,
        property=item,
        reason=reason,
        old_price=old_price,
        new_price=item.price,
        created_by=user,
    )
    step = campaign.steps.filter(is_active=True).order_by("order").first()
    refusal = unfit_reason(item) or ("" if step else NO_STEP.format(campaign=campaign.name))
    if not refusal:
        alert.matched = reachable_leads(alert).count()
        refusal = "" if alert.matched else _nobody_fits(item)
    if refusal or step is None:
        alert.state, alert.refusal = State.REFUSED, refusal
    else:
        alert.blast = _blast_make(campaign, step, headline(alert))
    alert.save()
    return alert


def _nobody_fits(item: Property) -> str:
    where = ", ".join(
        part for part in (item.city, price_text(item.price, item.organization)) if part
    )
    return NOBODY_FITS.format(listing=listing_name(item), where=where)


# What the alert's blast takes from its campaign: how it is sent (which account, or each
# lead's agent), in which language, what is tracked, and when it may go (the send window).
SENDING_SETTINGS = (
    "email_account",
    "language",  # its email is written in the alert campaign's language
    "send_from_agents",
    "track_opens",
    "track_clicks",
    "window_start",
    "window_end",
    "send_on_weekends",
)


def _blast_make(campaign: Campaign, step: CampaignStep, name: str) -> Campaign:
    """The alert's email: a draft blast with the campaign's step and sending settings as
    they are now. Staff may change it before sending; the campaign's later edits reach later
    alerts. Its audience is the alert's (campaigns.audiences.audience); should the alert go
    (its listing deleted), the blast's own is its chosen leads, none: it can reach nobody by
    mistake."""
    blast = Campaign.objects.create(
        organization_id=campaign.organization_id,
        name=name[:200],
        type=Campaign.Type.BLAST,
        audience=Campaign.Audience.CHOSEN,
        **{setting: getattr(campaign, setting) for setting in SENDING_SETTINGS},
    )
    CampaignStep.objects.create(
        campaign=blast,
        order=1,
        name=step.name,
        subject=step.subject,
        body_template=step.body_template,
        text_template=step.text_template,
    )
    return blast


def alert_send(*, alert: ListingAlert, user: Any = None) -> ListingAlert:
    """Send a waiting alert to the leads its listing fits now (recorded as told, so that no
    other alert about the listing reaches them), or refuse it, saying why. AlertError when
    it cannot be sent (no account...): the alert keeps waiting, with the reason."""
    try:
        with transaction.atomic():
            _decide(alert, State.SENT, user)
            refusal = unfit_reason(alert.property) if alert.blast else EMAIL_DELETED
            told = 0 if refusal else _record(alert)
            if not refusal and not told:
                refusal = _nobody_fits(alert.property)
            if refusal or alert.blast is None:
                _refuse(alert, refusal)
                return alert
            # The alert's blast, launched by the one launch service, within its send window.
            send_after = window_opening(alert.blast)
            blasts.campaign_launch(campaign=alert.blast, user=user, send_after=send_after)
            ListingAlert.objects.filter(pk=alert.pk).update(matched=told)
            alert.matched = told
    except blasts.LaunchError as error:
        ListingAlert.objects.filter(pk=alert.pk, state=State.PENDING).update(send_error=str(error))
        alert.refresh_from_db()
        raise AlertError(str(error)) from None
    return alert


def window_opening(blast: Campaign) -> datetime.datetime | None:
    """When the alert may go: None while its campaign's send window is open (at once), else
    the moment it opens next, in the agency's time zone (weekends skipped unless allowed)."""
    now = timezone.now()
    try:
        opening = blast.place_in_window(now)
    except ValueError:  # a window that never opens (the form refuses one): send at once
        return None
    return opening if opening > now else None


def goes_out_at(alert: ListingAlert) -> datetime.datetime | None:
    """When a sent alert waiting for its send window goes out; None once it is going."""
    return (
        Dispatch.objects.filter(campaign=alert.blast_id, status=Dispatch.Status.SCHEDULED)
        .values_list("send_after", flat=True)
        .first()
    )


def _record(alert: ListingAlert) -> int:
    """Record the leads the alert reaches as told about its listing, in one INSERT ...
    SELECT (tens of thousands of leads never pass through Python); how many were. A lead
    another alert records at the same moment is left to that alert (the unique constraint,
    ON CONFLICT DO NOTHING)."""
    values = {
        "told_property": Value(alert.property_id, output_field=UUIDField()),
        "told_lead": F("pk"),
        "told_by": Value(alert.pk, output_field=UUIDField()),
        "told_at": Value(timezone.now(), output_field=DateTimeField()),
    }
    select = reachable_leads(alert).annotate(**values).values_list(*values)
    sql, params = select.query.sql_with_params()
    columns = ", ".join(
        connection.ops.quote_name(column_named(AlertedLead, name))
        for name in ("property", "lead", "alert", "created_at")
    )
    table = connection.ops.quote_name(AlertedLead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql} ON CONFLICT DO NOTHING", params)
    return AlertedLead.objects.filter(alert=alert).count()


def alert_dismiss(*, alert: ListingAlert, user: Any = None) -> ListingAlert:
    """Drop a waiting alert: nothing is sent, and its unsent email is deleted."""
    with transaction.atomic():
        _decide(alert, State.DISMISSED, user)
        _drop_blast(alert)
    return alert


def _decide(alert: ListingAlert, state: str, user: Any) -> None:
    """Waiting -> `state`, once: a second click, another tab or another staff member finds
    it decided and changes nothing."""
    now = timezone.now()
    moved = ListingAlert.objects.filter(pk=alert.pk, state=State.PENDING).update(
        state=state, decided_by=user, decided_at=now, send_error=""
    )
    if not moved:
        alert.refresh_from_db()
        raise AlertError(ALREADY_DECIDED.format(state=alert.get_state_display().lower()))
    alert.state, alert.decided_by, alert.decided_at, alert.send_error = state, user, now, ""


def _refuse(alert: ListingAlert, reason: str) -> None:
    ListingAlert.objects.filter(pk=alert.pk).update(state=State.REFUSED, refusal=reason)
    alert.state, alert.refusal = State.REFUSED, reason
    _drop_blast(alert)


def _drop_blast(alert: ListingAlert) -> None:
    """Delete the alert's email while it is an unsent draft (its test sends with it)."""
    blast = alert.blast
    if blast is None or blast.status != Campaign.Status.DRAFT:
        return
    MessageLog.objects.filter(campaign=blast, is_test=True).delete()
    blast.delete()
    alert.blast = None


def alerts_turn_on(*, campaign: Campaign, user: Any = None) -> None:
    """A draft listing alert campaign starts listening: draft -> active."""
    if campaign.type != Campaign.Type.LISTING_ALERT:
        raise AlertError(NOT_A_LISTING_ALERT)
    if not campaign.steps.filter(is_active=True).exists():
        raise AlertError(TURN_ON_NEEDS_STEP)
    try:
        campaign.launch(user)
    except CampaignStatusError:
        raise AlertError(ALREADY_ON.format(status=campaign.get_status_display().lower())) from None


def pending(organizations: Any) -> QuerySet[ListingAlert]:
    """The alerts of these organizations waiting for review, newest first."""
    waiting = ListingAlert.objects.filter(organization__in=organizations, state=State.PENDING)
    return waiting.select_related("property__organization", "campaign").order_by("-created_at")


def headline(alert: ListingAlert) -> str:
    """ "New listing 12 Oak St", "Price drop 12 Oak St: $1,250,000 → $1,150,000 (-8%)", in
    the agency's currency."""
    listing = listing_name(alert.property)
    if alert.reason == ListingAlert.Reason.NEW:
        return _("New listing {listing}").format(listing=listing)
    old, new = alert.old_price or 0, alert.new_price or 0
    percent = round(100 * (old - new) / old) if old else 0
    organization = alert.property.organization
    return _("Price drop {listing}: {old} → {new} (-{percent}%)").format(
        listing=listing,
        old=price_text(old, organization),
        new=price_text(new, organization),
        percent=percent,
    )


def _leads(count: int) -> str:
    return ngettext("%(n)s lead", "%(n)s leads", count) % {"n": f"{count:,}"}


def summary(alert: ListingAlert, fits_now: int | None = None) -> str:
    """The alert in one sentence, as the home, the alerts list and its page say it. A
    waiting alert counts the leads it would be sent to now (`fits_now`, when the caller
    counted them already); when that differs from the count when it was made, both."""
    title = headline(alert)
    if alert.state == State.PENDING:
        leads = reachable_leads(alert)
        now = leads.count() if fits_now is None else fits_now
        if now == alert.matched:
            return _("{title} fits {leads}: review and send").format(title=title, leads=_leads(now))
        when = (
            _("when listed")
            if alert.reason == ListingAlert.Reason.NEW
            else _("when its price dropped")
        )
        added = leads.filter(created_at__gt=alert.created_at).count() if now else 0
        since = (
            ngettext(", after %(n)s new lead", ", after %(n)s new leads", added) % {"n": added}
            if added
            else ""
        )
        return _("{title} fitted {then} {when}; {now} fit now{since}: review and send").format(
            title=title, then=_leads(alert.matched), when=when, now=f"{now:,}", since=since
        )
    if alert.state == State.SENT:
        return _("{title}: sent to {leads}").format(title=title, leads=_leads(alert.matched))
    if alert.state == State.REFUSED:
        return _("{title}: nothing sent. {refusal}").format(title=title, refusal=alert.refusal)
    return _("{title}: dismissed").format(title=title)


SAVE_ALERTS_NEW = gettext_lazy(
    "Saving this new listing makes an alert of “{campaign}” to the leads whose city and "
    "budget it fits ({review})."
)
SAVE_ALERTS_DROP = gettext_lazy(
    "A price of {threshold} or less ({drop}% under {reference}) makes an alert of "
    "“{campaign}” to the leads whose city and budget it fits ({review})."
)
SAVE_ALERTS_NOTHING = gettext_lazy(
    "Saving this listing alerts nobody: no listing alert campaign of the agency is on."
)


def save_alerts(*, item: Property, organization: Any) -> list[str]:
    """What saving this property (new, or as it is now) would alert, one sentence per
    listening campaign of the agency: the property page says it before the save does it.
    The same rules as `_news`: a new listing for campaigns that alert new listings; a drop
    from the last alert's price (else the saved price) by each campaign's threshold."""
    listening = Campaign.objects.filter(
        organization=organization,
        type=Campaign.Type.LISTING_ALERT,
        status=Campaign.Status.ACTIVE,
    ).order_by("created_at")
    sentences = []
    for campaign in listening:
        review = _("sent at once") if campaign.alert_send_automatically else _("after your review")
        if item._state.adding:
            if campaign.alert_new_listings:
                sentences.append(SAVE_ALERTS_NEW.format(campaign=campaign.name, review=review))
            continue
        if campaign.alert_price_drop is None:
            continue
        last = campaign.listing_alerts.filter(property=item).order_by("-created_at")
        reference = last.values_list("new_price", flat=True).first() or item.price
        if not reference:
            continue
        # The largest whole price that _news counts as a drop: price * 100 <= ref * (100 - drop).
        threshold = reference * (100 - campaign.alert_price_drop) // 100
        sentences.append(
            SAVE_ALERTS_DROP.format(
                threshold=price_text(threshold, organization),
                drop=campaign.alert_price_drop,
                reference=price_text(reference, organization),
                campaign=campaign.name,
                review=review,
            )
        )
    if not listening:
        return [str(SAVE_ALERTS_NOTHING)]
    return sentences
