"""Admin pages beyond CRUD: a step previewed for a lead (and sent as a test), connecting
and disconnecting Gmail, launching and cancelling a campaign, and its live progress."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from campaigns import dispatch, oauth, outbox, rendering, sending, sequences
from campaigns.forms import LaunchForm
from campaigns.models import Campaign, CampaignStep, EmailAccount
from campaigns.progress import campaign_progress
from crm.models import Lead
from crm.tenancy import organizations_of

LEAD_CHOICES = 50
# Blasts this large take tens of seconds to queue (bench/README.md): the page says so.
LONG_LAUNCH = 50_000


def pick(queryset: Any, pk: Any) -> Any:
    """The object with this primary key in the (already scoped) queryset, or None; a
    malformed id from the query string is treated as no choice, never as an error."""
    if not pk:
        return None
    try:
        return queryset.filter(pk=pk).first()
    except (ValueError, ValidationError):
        return None


def _context(model_admin: Any, request: HttpRequest, title: str, **extra: Any) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        **extra,
    }


def step_preview(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    step = model_admin.get_object(request, object_id)
    if step is None:
        raise Http404("No such step.")
    organization = step.campaign.organization
    leads = Lead.objects.filter(organization=organization).select_related("property")
    query = request.GET.get("q", "").strip()
    if query:
        leads = leads.filter(Q(name__icontains=query) | Q(email__icontains=query))
    data = request.POST if request.method == "POST" else request.GET
    lead = pick(leads, data.get("lead")) or leads.order_by("name").first()
    accounts = EmailAccount.objects.filter(organization=organization, is_active=True)
    account = (
        pick(accounts, data.get("account"))
        or step.campaign.email_account
        or accounts.order_by("-is_primary").first()
    )

    if request.method == "POST" and lead and account:
        return _send_test(request, step, lead, account)

    rendered, error = None, None
    if lead is not None:
        try:
            rendered = sending.render_for(step, lead, account, test=True)
        except rendering.TemplateError as failure:
            error = failure
    return render(
        request,
        "admin/campaigns/campaignstep/preview.html",
        _context(
            model_admin,
            request,
            f"Preview: {step}",
            step=step,
            lead=lead,
            leads=leads.order_by("name")[:LEAD_CHOICES],
            query=query,
            account=account,
            accounts=accounts,
            rendered=rendered,
            error=error,
        ),
    )


def _send_test(request: HttpRequest, step: CampaignStep, lead: Lead, account: EmailAccount):
    back = reverse("admin:campaigns_campaignstep_preview", args=[step.pk])
    back += f"?lead={lead.pk}&account={account.pk}"
    if not request.user.email:
        messages.error(request, "Your user has no email address: add one to receive tests.")
        return HttpResponseRedirect(back)
    if not account.can_send:
        messages.error(request, f"{account.email_address} must be reconnected before it can send.")
        return HttpResponseRedirect(back)
    try:
        log = sending.test_send(step=step, lead=lead, account=account, to_email=request.user.email)
    except rendering.TemplateError as error:
        messages.error(request, f"The {error.part or 'template'} cannot be rendered: {error}")
        return HttpResponseRedirect(back)
    if log.status == log.Status.SENT:
        messages.success(
            request, f"Test sent to {request.user.email} from {account.email_address}."
        )
    else:
        messages.error(request, f"The test could not be sent: {log.error_message}")
    return HttpResponseRedirect(back)


def gmail_connect(model_admin: Any, request: HttpRequest) -> HttpResponse:
    organizations = organizations_of(request.user).order_by("name")
    chosen = pick(organizations, request.GET.get("organization"))
    if chosen is None and len(organizations) == 1:
        chosen = organizations[0]
    if chosen is None:
        return render(
            request,
            "admin/campaigns/emailaccount/connect.html",
            _context(model_admin, request, "Connect Gmail", organizations=organizations),
        )
    return HttpResponseRedirect(oauth.start(request.session, chosen))


def gmail_disconnect(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    account = model_admin.get_object(request, object_id)
    if account is None:
        raise Http404("No such account.")
    changelist = reverse("admin:campaigns_emailaccount_changelist")
    if request.method == "POST":
        oauth.disconnect(account)
        paused = outbox.pause_campaigns_of(account, "sending account disconnected")
        messages.success(
            request,
            f"Disconnected {account.email_address}."
            + (f" {paused} active campaign(s) using it were paused." if paused else ""),
        )
        return HttpResponseRedirect(changelist)
    return render(
        request,
        "admin/campaigns/emailaccount/disconnect.html",
        _context(
            model_admin,
            request,
            f"Disconnect {account.email_address}",
            account=account,
            campaigns=account.campaigns.filter(status="active"),
        ),
    )


def campaign_launch(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Launch a blast, or activate a sequence, after a confirmation with the numbers."""
    campaign = model_admin.get_object(request, object_id)
    if campaign is None:
        raise Http404("No such campaign.")
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    try:
        plan = dispatch.launch_plan(campaign)
    except dispatch.LaunchError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(change_url)
    is_sequence = campaign.type == Campaign.Type.SEQUENCE
    data = request.POST if request.method == "POST" else None
    form = LaunchForm(data, timezone_name=campaign.organization.timezone)
    if request.method == "POST" and (is_sequence or form.is_valid()):
        try:
            if is_sequence:
                enrolled = sequences.sequence_activate(campaign=campaign)
                note = f"Activated: {enrolled:,} lead(s) enrolled. Each step goes out when due."
            else:
                note = _launched_note(
                    campaign,
                    dispatch.campaign_launch(
                        campaign=campaign,
                        user=request.user,
                        send_after=form.cleaned_data["send_at"],
                    ),
                )
        except dispatch.LaunchError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(change_url)
        messages.success(request, note)
        return HttpResponseRedirect(change_url)
    return render(
        request,
        "admin/campaigns/campaign/launch.html",
        _context(
            model_admin,
            request,
            f"Launch {campaign.name}",
            campaign=campaign,
            plan=plan,
            form=None if is_sequence else form,
            is_sequence=is_sequence,
            long_launch=LONG_LAUNCH,
        ),
    )


def _launched_note(campaign: Campaign, launched: Any) -> str:
    zone = campaign.organization.timezone
    when = (
        f"It will start at {launched.send_after:%Y-%m-%d %H:%M} ({zone})."
        if launched.send_after
        else "Sending has started."
    )
    return (
        f"Launched: {launched.total - launched.skipped:,} message(s) queued"
        + (f", {launched.skipped:,} opted-out lead(s) skipped" if launched.skipped else "")
        + f". {when}"
    )


def campaign_cancel(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    campaign = model_admin.get_object(request, object_id)
    if campaign is None:
        raise Http404("No such campaign.")
    if request.method == "POST":
        cancelled = dispatch.campaign_cancel(campaign)
        messages.success(request, f"Cancelled: {cancelled:,} waiting message(s) will not be sent.")
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    return render(
        request,
        "admin/campaigns/campaign/cancel.html",
        _context(
            model_admin,
            request,
            f"Cancel {campaign.name}",
            campaign=campaign,
            progress=campaign_progress(campaign),
        ),
    )


def campaign_progress_json(model_admin: Any, request: HttpRequest, object_id: str) -> JsonResponse:
    campaign = model_admin.get_object(request, object_id)
    if campaign is None:
        raise Http404("No such campaign.")
    return JsonResponse(campaign_progress(campaign))


def add_leads_to_campaign(model_admin: Any, request: HttpRequest, queryset: Any) -> Any:
    """The leads list's “Add to campaign…” action: pick a draft campaign, then confirm."""
    organizations = queryset.values("organization").distinct()
    campaigns = (
        Campaign.objects.filter(organization__in=organizations, status=Campaign.Status.DRAFT)
        .filter(organization__in=organizations_of(request.user))
        .order_by("name")
    )
    chosen = pick(campaigns, request.POST.get("campaign"))
    if chosen is None:
        return render(
            request,
            "admin/campaigns/campaign/add_leads.html",
            _context(
                model_admin,
                request,
                "Add leads to a campaign",
                campaigns=campaigns,
                leads=queryset,
                count=queryset.count(),
            ),
        )
    leads = list(queryset.filter(organization=chosen.organization_id))
    chosen.chosen_leads.add(*leads)
    Campaign.objects.filter(pk=chosen.pk).update(audience=Campaign.Audience.CHOSEN)
    left_out = queryset.count() - len(leads)
    model_admin.message_user(
        request,
        f"Added {len(leads):,} lead(s) to “{chosen.name}”; its audience is now its chosen leads."
        + (f" {left_out:,} lead(s) of another organization were left out." if left_out else ""),
        messages.SUCCESS,
    )
    return None
