"""The admin of listing alerts: the list, each alert's review page (the listing, the leads it
fits, its email previewed for one of them, Send and Dismiss), turning a listing alert
campaign on, and the leads list filtered to an alert's leads."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin
from unfold.decorators import display

from campaigns.admin import pages
from campaigns.audiences.listing_fit import alert_audience, alert_of
from campaigns.content import rendering, template_errors
from campaigns.content.formats import price_text
from campaigns.listing_alerts import triggers
from campaigns.models import Campaign, ListingAlert
from campaigns.outbox import senders, sending
from crm.listing_matching import listing_name
from crm.models import Lead
from crm.site.tenancy import TenantRelatedFilter, TenantScopedAdmin, organizations_of
from crm.site.timezones import spoken_time

# The campaign page's fields of a listing alert campaign (shown for that type only).
ALERT_FIELDS = (
    "alert_new_listings",
    "alert_price_drop",
    "alert_statuses",
    "alert_send_automatically",
)
LEAD_CHOICES = 50
STATE_COLOURS = {
    ListingAlert.State.PENDING: "warning",
    ListingAlert.State.SENT: "success",
    ListingAlert.State.REFUSED: "danger",
    ListingAlert.State.DISMISSED: "info",
}
SEND_THE_ALERT = "This is the email of a listing alert: review and send it from the alert's page."
TURNED_ON = (
    "Listing alerts are on: each new listing or price drop that fits leads now waits for "
    "review on the home page."
)
TURNED_ON_AUTOMATIC = "Listing alerts are on: each one is sent as soon as a listing fits leads."


@admin.register(ListingAlert)
class ListingAlertAdmin(TenantScopedAdmin, ModelAdmin):
    """Alerts are made by listings, and decided on their review page: never added, edited
    or deleted by hand."""

    list_display = ["alert", "state_badge", "matched", "campaign", "created_at"]
    list_filter = ["state", "reason", ("campaign", TenantRelatedFilter)]
    list_filter_submit = True
    list_select_related = ["property__organization", "campaign"]
    search_fields = ["property__title", "property__address", "property__city"]
    show_full_result_count = False

    @display(description="Alert")
    def alert(self, obj: ListingAlert) -> str:
        return triggers.summary(obj)

    @display(description="State", ordering="state", label=STATE_COLOURS)
    def state_badge(self, obj: ListingAlert) -> tuple[str, str]:
        return obj.state, obj.get_state_display()

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        return alert_review(self, request, object_id)

    def get_urls(self) -> list:
        send = self.admin_site.admin_view(self.send_view)
        dismiss = self.admin_site.admin_view(self.dismiss_view)
        return [
            path("<path:object_id>/send/", send, name="campaigns_listingalert_send"),
            path("<path:object_id>/dismiss/", dismiss, name="campaigns_listingalert_dismiss"),
            *super().get_urls(),
        ]

    def send_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return alert_decide(self, request, object_id, send=True)

    def dismiss_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return alert_decide(self, request, object_id, send=False)


def _alert(model_admin: Any, request: HttpRequest, object_id: str) -> ListingAlert:
    alert = pages.pick(
        model_admin.get_queryset(request).select_related(
            "property__organization", "organization", "campaign", "blast"
        ),
        object_id,
    )
    if alert is None:
        raise Http404("No such alert.")
    return alert


def review_url(alert: ListingAlert) -> str:
    return reverse("admin:campaigns_listingalert_change", args=[alert.pk])


def alert_review(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """The listing, the leads it fits (linked), its email as one of them gets it, and the
    buttons to send or dismiss it while it waits."""
    alert = _alert(model_admin, request, object_id)
    leads = alert_audience(alert).select_related("property", "organization")
    count = leads.count() if alert.state == ListingAlert.State.PENDING else alert.matched
    # Some of its leads, by name: sorting tens of thousands by name would read them all.
    choices = sorted(leads[:LEAD_CHOICES], key=lambda lead: lead.name)
    chosen = pages.pick(leads, request.GET.get("lead"))
    preview = _preview(alert, chosen or next(iter(choices), None))
    return render(
        request,
        "admin/campaigns/listingalert/review.html",
        pages._context(
            model_admin,
            request,
            triggers.headline(alert),
            breadcrumbs=[ListingAlert, triggers.headline(alert)],
            alert=alert,
            summary=triggers.summary(alert, fits_now=count),
            listing=listing_name(alert.property),
            prices=" → ".join(
                price_text(price, alert.organization)
                for price in (alert.old_price, alert.new_price)
                if price is not None
            )
            or "no price",
            count=count,
            leads_url=f"{reverse('admin:crm_lead_changelist')}?listing_alert={alert.pk}",
            leads=choices,
            **preview,
        ),
    )


def _preview(alert: ListingAlert, lead: Lead | None) -> dict[str, Any]:
    """The alert's email rendered for a lead it reaches, by the function the preview page
    and the sender use: what it shows is what is sent."""
    blast = alert.blast
    if blast is None or lead is None:
        return {}
    step = blast.steps.order_by("order").first()
    account = senders.sending_account(blast)
    found: dict[str, Any] = {"lead": lead, "step": step, "account": account}
    if step is None:
        return found
    try:
        found["rendered"] = sending.render_for(step, lead, account, test=True)
    except rendering.TemplateError as error:
        found["error"] = f"In the {template_errors.part_name(error.part)}: {error}"
    return found


def alert_decide(
    model_admin: Any, request: HttpRequest, object_id: str, *, send: bool
) -> HttpResponse:
    """Send or dismiss: a GET shows what it would do, the POST (CSRF-checked) does it."""
    alert = _alert(model_admin, request, object_id)
    back = review_url(alert)
    if alert.state != ListingAlert.State.PENDING:
        messages.info(request, triggers.summary(alert))
        return HttpResponseRedirect(back)
    if request.method != "POST":
        return _confirmation(model_admin, request, alert, send, back)
    try:
        if send:
            triggers.alert_send(alert=alert, user=request.user)
        else:
            triggers.alert_dismiss(alert=alert, user=request.user)
    except triggers.AlertError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(back)
    if alert.state == ListingAlert.State.SENT:
        note = ngettext(
            "Sent: %(n)s message queued. They go out through the outbox, paced and capped.",
            "Sent: %(n)s messages queued. They go out through the outbox, paced and capped.",
            alert.matched,
        )
        messages.success(request, note % {"n": f"{alert.matched:,}"} + _window_note(alert))
    elif alert.state == ListingAlert.State.REFUSED:
        messages.warning(request, f"Nothing was sent: {alert.refusal}")
    else:
        messages.success(request, "Dismissed: nothing was sent.")
    return HttpResponseRedirect(back)


WAITS_FOR_WINDOW = " They wait for the campaign's send window, which opens {when}."


def _window_note(alert: ListingAlert) -> str:
    opens = triggers.goes_out_at(alert)
    return WAITS_FOR_WINDOW.format(when=spoken_time(opens)) if opens else ""


def _confirmation(
    model_admin: Any, request: HttpRequest, alert: ListingAlert, send: bool, back: str
) -> HttpResponse:
    headline = triggers.headline(alert)
    if not send:
        return pages.confirmation(
            model_admin,
            request,
            title=f"Dismiss “{headline}”?",
            explanation="Nothing is sent, and the alert's email is deleted.",
            button="Dismiss",
            back=back,
            icon="close",
        )
    count = alert_audience(alert).count()
    leads = ngettext("%(n)s lead", "%(n)s leads", count) % {"n": f"{count:,}"}
    return pages.confirmation(
        model_admin,
        request,
        title=f"Send “{headline}” to {leads}?",
        explanation=f"The alert's email is queued for the {leads} the listing fits now, and "
        "goes out through the outbox, paced and capped like every campaign. None of them "
        "will get another alert about this listing.",
        button=f"Send to {leads}",
        back=back,
        icon="send",
    )


def launched_elsewhere(
    model_admin: Any, request: HttpRequest, campaign: Campaign
) -> HttpResponse | None:
    """Launch… of a listing alert campaign turns it on; of an alert's email, leads to the
    alert's page; None for other campaigns (launched as usual)."""
    if campaign.type == Campaign.Type.LISTING_ALERT:
        return campaign_turn_on(model_admin, request, campaign)
    alert = alert_of(campaign)
    if alert is None:
        return None
    messages.info(request, SEND_THE_ALERT)
    return HttpResponseRedirect(review_url(alert))


def campaign_turn_on(model_admin: Any, request: HttpRequest, campaign: Campaign) -> HttpResponse:
    change = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    if request.method != "POST":
        review = "are sent at once" if campaign.alert_send_automatically else "wait for review"
        return pages.confirmation(
            model_admin,
            request,
            title=f"Turn on “{campaign.name}”?",
            explanation="From now on, each property added (and each price drop the campaign "
            "asks for) makes an alert to the leads whose city and budget it fits. "
            f"Alerts {review}; a lead hears about a listing once.",
            button="Turn on",
            back=change,
            icon="notifications_active",
        )
    try:
        triggers.alerts_turn_on(campaign=campaign, user=request.user)
    except triggers.AlertError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(change)
    automatic = campaign.alert_send_automatically
    messages.success(request, TURNED_ON_AUTOMATIC if automatic else TURNED_ON)
    return HttpResponseRedirect(change)


class ListingAlertLeadFilter(admin.SimpleListFilter):
    """The leads list filtered to the leads of one alert (`?listing_alert=<id>`): whom it
    reaches now while it waits, whom it was sent to once sent. Hidden until linked."""

    title = "listing alert"
    parameter_name = "listing_alert"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        if not value:
            return []
        alerts = ListingAlert.objects.filter(organization__in=organizations_of(request.user))
        self.alert = pages.pick(alerts.select_related("property", "campaign"), value)
        return [(value, triggers.headline(self.alert) if self.alert else "unknown alert")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        if not self.value():
            return queryset
        if self.alert is None:
            return queryset.none()
        return queryset.filter(pk__in=alert_audience(self.alert).values("pk"))
