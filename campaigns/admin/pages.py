"""Admin pages beyond CRUD: a step previewed for a lead (and sent as a test), connecting
and disconnecting Gmail, launching and cancelling a campaign, and its live progress."""

import dataclasses
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext, ngettext_lazy

from campaigns import preflight
from campaigns.ab_tests import variants
from campaigns.accounts import access, oauth
from campaigns.admin.forms import LaunchForm
from campaigns.audiences import audience
from campaigns.content import follow_ups, rendering, template_errors
from campaigns.launching import blasts
from campaigns.models import (
    Campaign,
    CampaignStatusError,
    CampaignStep,
    EmailAccount,
    Enrollment,
    MessageLog,
)
from campaigns.outbox import failures, senders, sending
from campaigns.reporting import bulk_senders, campaign_live, sender_health
from campaigns.reporting.planner import forecast
from campaigns.reporting.progress import campaign_progress
from campaigns.sequences import schedule
from campaigns.sequences.outlook import sequence_outlook
from crm.models import Lead
from crm.site.numbers import grouped
from crm.site.tenancy import organizations_of
from crm.site.timezones import spoken_time

LEAD_CHOICES = 50
# The cancel confirmation names this many of the leads it leaves out, and links to all.
NAMED_LEADS = 20
# "Already launched at 05:06 by Dana.": by the kind of campaign, and what is known.
ALREADY_LAUNCHED = {
    (True, True): _("Already launched {when} by {who}."),
    (True, False): _("Already launched {when}."),
    (False, True): _("Already launched by {who}."),
    (False, False): _("Already launched."),
}
ALREADY_ACTIVATED = {
    (True, True): _("Already activated {when} by {who}."),
    (True, False): _("Already activated {when}."),
    (False, True): _("Already activated by {who}."),
    (False, False): _("Already activated."),
}
NOBODY_MATCHES = _(
    "Nobody to send to: no lead matches this campaign's audience. Change the audience on "
    "the campaign page and save it; Launch now opens up when someone matches."
)
ALL_OPTED_OUT = ngettext_lazy(
    "Nobody to send to: the only lead of this audience has opted out.",
    "Nobody to send to: all %(n)s leads of this audience have opted out.",
    "count",
)
ALL_OPTED_OUT_ONE = lazy(lambda: ALL_OPTED_OUT % {"count": 1, "n": 1}, str)()
WAITS_FOR_SENDER = _("They go out as soon as the sending service runs (see below).")
LAUNCH_BLOCKED = _("Not launched: {reasons}")
# A pause reason, kept in English (Campaign.pause_reason) and read in the reader's language.
DISCONNECTED = gettext_noop("sending account disconnected")
QUEUING_REST = _("The rest of the audience is being queued: this page shows the progress.")


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
        raise Http404(_("No such step."))
    organization = step.campaign.organization
    leads = Lead.objects.filter(organization=organization).select_related("property")
    data = request.POST if request.method == "POST" else request.GET
    query = data.get("q", "").strip()
    found = leads
    if query:
        found = leads.filter(Q(name__icontains=query) | Q(email__icontains=query))
    lead = pick(found, data.get("lead")) or found.order_by("name").first()
    accounts = EmailAccount.objects.filter(organization=organization, is_active=True)
    chosen = pick(accounts, data.get("account"))
    default = senders.sending_account(step.campaign) or accounts.first()
    account = chosen or default
    if chosen is None and lead is not None:
        # A campaign sent from each lead's agent: previewed and tested as this lead gets it.
        account = senders.account_for(step.campaign, lead, default)

    # An A/B test's subject B, C or D: previewed (and test-sent) as it will be sent.
    variant = data.get("variant", "").upper()
    variant = variant if variant in step.variants() else "A"
    if request.method == "POST" and lead and account:
        return _send_test(request, step, lead, chosen, account, variant, query)

    rendered, error = None, None
    first_step = sending.first_step_of(step.campaign)
    if lead is not None:
        try:
            rendered = sending.render_for(step, lead, account, test=True, variant=variant)
        except rendering.TemplateError as failure:
            error = failure
        else:
            # A threaded follow-up: the subject it is sent with, not the one written for it.
            subject = sending.subject_for(step, first_step, rendered.subject, lead, account)
            rendered = dataclasses.replace(rendered, subject=subject)
    return render(
        request,
        "admin/campaigns/campaignstep/preview.html",
        _context(
            model_admin,
            request,
            _("Preview: {step}").format(step=step),
            breadcrumbs=[Campaign, step.campaign, _("Preview of {step}").format(step=step)],
            step=step,
            lead=lead,
            leads=_choices(found, lead),
            query=query,
            account=account,
            accounts=accounts,
            chosen=chosen,
            from_agent=chosen is None and step.campaign.send_from_agents,
            rendered=rendered,
            error=error,
            error_part=template_errors.part_name(error.part) if error else "",
            variant=variant,
            variants=step.variants(),
            threaded=follow_ups.in_first_thread(step, first_step),
            own_subject=step.campaign.as_written(step.subject),
        ),
    )


def _choices(leads: Any, lead: Lead | None) -> list[Lead]:
    """The leads the picker offers: the first ones by name and, always, the one previewed
    (the picker never shows another lead than the one whose email is below)."""
    choices = list(leads.order_by("name")[:LEAD_CHOICES])
    if lead is not None and lead not in choices:
        choices.insert(0, lead)
    return choices


def _send_test(
    request: HttpRequest,
    step: CampaignStep,
    lead: Lead,
    chosen: EmailAccount | None,
    account: EmailAccount,
    variant: str,
    query: str,
) -> HttpResponse:
    # Back to the same preview: the same lead, search, account choice and subject.
    back = reverse("admin:campaigns_campaignstep_preview", args=[step.pk])
    kept = {
        "q": query,
        "lead": str(lead.pk),
        "account": str(chosen.pk) if chosen else "",
        "variant": variant,
    }
    back += "?" + urlencode({key: value for key, value in kept.items() if value})
    to_email = request.user.email if request.user.is_authenticated else ""
    if not to_email:
        messages.error(request, _("Your user has no email address: add one to receive tests."))
        return HttpResponseRedirect(back)
    if not account.can_send:
        messages.error(
            request,
            _("{address} must be reconnected before it can send.").format(
                address=account.email_address
            ),
        )
        return HttpResponseRedirect(back)
    try:
        log = sending.test_send(
            step=step, lead=lead, account=account, to_email=to_email, variant=variant
        )
    except rendering.TemplateError as error:
        part = template_errors.part_name(error.part)
        messages.error(
            request, _("The {part} cannot be rendered: {error}").format(part=part, error=error)
        )
        return HttpResponseRedirect(back)
    if log.status == log.Status.SENT:
        messages.success(
            request,
            _("Test sent to {to} from {address}.").format(
                to=to_email, address=account.email_address
            ),
        )
    else:
        messages.error(
            request,
            _("The test could not be sent: {reason}").format(
                reason=failures.in_words(log.error_message)
            ),
        )
    return HttpResponseRedirect(back)


def confirmation(
    model_admin: Any,
    request: HttpRequest,
    *,
    title: Any,
    explanation: Any,
    button: Any,
    back: str,
    icon: str = "",
) -> HttpResponse:
    """Where a GET to an action lands (a link, a bookmark, another site): what the action
    would do, and a button that POSTs it with Django's CSRF check. A GET changes nothing."""
    return render(
        request,
        "admin/campaigns/confirm.html",
        _context(
            model_admin,
            request,
            title,
            explanation=explanation,
            button=button,
            back=back,
            icon=icon,
        ),
    )


def gmail_connect(model_admin: Any, request: HttpRequest) -> HttpResponse:
    """The page says what Google will ask; its POST (one button per organization) starts
    the consent, whose state waits in the session."""
    if not oauth.client_configured():
        return google_setup(model_admin, request)
    organizations = organizations_of(request.user).order_by("name")
    chosen = pick(organizations, request.POST.get("organization"))
    if request.method == "POST" and chosen is not None:
        return HttpResponseRedirect(oauth.start(request.session, chosen))
    return render(
        request,
        "admin/campaigns/emailaccount/connect.html",
        _context(
            model_admin,
            request,
            str(_("Connect Gmail")),
            breadcrumbs=[EmailAccount, _("Connect Gmail")],
            organizations=organizations,
        ),
    )


def google_setup(model_admin: Any, request: HttpRequest) -> HttpResponse:
    """No Google client is configured: say what to set up, rather than send staff to
    Google with an empty client id."""
    return render(
        request,
        "admin/campaigns/emailaccount/google_setup.html",
        _context(
            model_admin,
            request,
            str(_("Connect Gmail")),
            breadcrumbs=[EmailAccount, _("Connect Gmail")],
            redirect_uri=oauth.redirect_uri(),
            missing=oauth.missing_settings(),
            debug_mode=settings.DEBUG,
        ),
    )


def gmail_reconnect(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Google's consent again, asking for what the account needs now (reply detection)."""
    account = model_admin.get_object(request, object_id)
    if account is None:
        raise Http404(_("No such account."))
    if not access.may_manage(request.user, account):
        messages.error(request, access.refusal(account, "reconnect"))
        return HttpResponseRedirect(reverse("admin:campaigns_emailaccount_changelist"))
    if not oauth.client_configured():
        return google_setup(model_admin, request)
    if request.method == "POST":
        return HttpResponseRedirect(
            oauth.start(
                request.session, account.organization, detect_replies=account.detect_replies
            )
        )
    return confirmation(
        model_admin,
        request,
        title=_("Reconnect {address}?").format(address=account.email_address),
        explanation=(
            _(
                "Google will ask you to sign in as {address} and allow this app to send and "
                "read message headers again."
            )
            if account.detect_replies
            else _("Google will ask you to sign in as {address} and allow this app to send again.")
        ).format(address=account.email_address),
        button=_("Continue to Google"),
        back=reverse("admin:campaigns_emailaccount_changelist"),
        icon="sync",
    )


def gmail_disconnect(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    account = model_admin.get_object(request, object_id)
    if account is None:
        raise Http404(_("No such account."))
    changelist = reverse("admin:campaigns_emailaccount_changelist")
    if not access.may_manage(request.user, account):
        messages.error(request, access.refusal(account, "disconnect"))
        return HttpResponseRedirect(changelist)
    if request.method == "POST":
        oauth.disconnect(account)
        paused = Campaign.objects.filter(email_account=account).pause(DISCONNECTED)
        messages.success(
            request,
            _("Disconnected {address}.").format(address=account.email_address)
            + (
                ngettext(
                    " %(n)s active campaign using it was paused.",
                    " %(n)s active campaigns using it were paused.",
                    paused,
                )
                % {"n": grouped(paused)}
                if paused
                else ""
            ),
        )
        return HttpResponseRedirect(changelist)
    return render(
        request,
        "admin/campaigns/emailaccount/disconnect.html",
        _context(
            model_admin,
            request,
            _("Disconnect {address}").format(address=account.email_address),
            breadcrumbs=[EmailAccount, account, _("Disconnect")],
            account=account,
            campaigns=account.campaigns.filter(status="active"),
        ),
    )


def launch_page(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Launch a blast, or activate a sequence, after a confirmation with the numbers."""
    campaign = model_admin.get_object(request, object_id)
    if campaign is None:
        raise Http404(_("No such campaign."))
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    if not campaign.allows("launch"):
        # Another tab, Back, a double submit: the campaign page says who launched it, when.
        messages.info(request, already_launched(campaign))
        return HttpResponseRedirect(change_url)
    try:
        plan = blasts.launch_plan(campaign)
    except blasts.LaunchError as error:
        launch_refused(request, error)
        return HttpResponseRedirect(change_url)
    is_sequence = campaign.type == Campaign.Type.SEQUENCE
    blocked = launch_blocked(campaign, plan)
    data = request.POST if request.method == "POST" else None
    form = LaunchForm(data, zone=campaign.organization.zone)
    report = _preflight(campaign, plan)
    if request.method == "POST" and report and report.blocking:
        # The button is off on the page; a request sent anyway is refused the same way.
        messages.error(request, LAUNCH_BLOCKED.format(reasons=" ".join(report.blocking)))
        return HttpResponseRedirect(request.path)
    if request.method == "POST" and not blocked and (is_sequence or form.is_valid()):
        try:
            note = _launch(campaign, request.user, None if is_sequence else form)
        except blasts.LaunchError as error:
            campaign.refresh_from_db()
            if campaign.is_launched:  # the other submit won the race
                messages.info(request, already_launched(campaign))
            else:
                messages.error(request, str(error))
            return HttpResponseRedirect(change_url)
        messages.success(request, note)
        return HttpResponseRedirect(change_url)
    try:  # launching makes the same checks (and counts) itself, once
        plan = blasts.launch_plan(campaign)
    except blasts.LaunchError as error:
        launch_refused(request, error)
        return HttpResponseRedirect(change_url)
    return render(
        request,
        "admin/campaigns/campaign/launch.html",
        _context(
            model_admin,
            request,
            _("Launch {name}").format(name=campaign.name),
            breadcrumbs=[Campaign, campaign, _("Launch")],
            campaign=campaign,
            plan=plan,
            form=None if is_sequence else form,
            # The date and time pickers: the calendar and the clock (the admin's JS).
            media=model_admin.media + form.media,
            is_sequence=is_sequence,
            preflight=report,
            # Who is skipped, each group named for what it is ("1 opted out, 3 on the
            # suppression list").
            skipped=audience.skipped_in_words(
                audience.skipped_counts(audience.audience_of(campaign), campaign)
            ),
            # Sent from each lead's agent: each account's share, and what needs doing.
            split=senders.launch_split(campaign, audience.audience_of(campaign), plan.account),
            # The From domains' SPF, DKIM and DMARC as last checked, and Gmail's bulk line.
            domains=bulk_senders.launch_domains(campaign, plan.account),
            volumes=bulk_senders.launch_volumes(
                campaign,
                audience.audience_of(campaign).exclude(audience.suppressed(campaign)),
                plan.account,
            ),
            blocked=blocked,
            forecast=forecast.launch_forecast(campaign, plan.account, plan.to_send),
            ab_test=None
            if is_sequence
            else variants.launch_outline(campaign, plan.step, plan.to_send, plan.estimated_finish),
            button_attrs={
                "id": "launch-now",
                "disabled": bool(blocked or (report and report.blocking)),
            }
            | ({"aria-describedby": "launch-blocked"} if blocked else {}),
        ),
    )


CONNECT_GMAIL = _("Connect Gmail")
RECONNECT = _("Reconnect it on Email accounts")


def launch_refused(request: HttpRequest, error: blasts.LaunchError) -> None:
    """Why a launch was refused, with the way out when there is one: no sending account
    leads to Connect Gmail, one that cannot send to the accounts to reconnect it."""
    text = str(error)
    if text == str(blasts.NO_ACCOUNT):
        link = (reverse("admin:campaigns_emailaccount_connect_gmail"), CONNECT_GMAIL)
    elif text.endswith(str(blasts.ACCOUNT_CANNOT_SEND).rsplit("}", 1)[1]):
        link = (reverse("admin:campaigns_emailaccount_changelist"), RECONNECT)
    else:
        messages.error(request, text)
        return
    messages.error(
        request,
        format_html('{} <a class="underline font-medium" href="{}">{}</a>', text, *link),
    )


def _preflight(campaign: Campaign, plan: blasts.Plan) -> preflight.Report | None:
    """The whole audience checked, each finding linked to its leads; None above the size
    the page checks within a request's time (the command line checks any size)."""
    if plan.audience > settings.CAMPAIGNS_PREFLIGHT_PAGE_LIMIT:
        return None
    report = preflight.preflight_run(campaign)
    leads = reverse("admin:crm_lead_changelist")
    for finding in report.findings():
        finding.url = f"{leads}?{urlencode({'preflight': f'{campaign.pk}:{finding.key}'})}"
    return report


def launch_blocked(campaign: Campaign, plan: blasts.Plan) -> str:
    """Why Launch now is disabled (said before the click), or "" when it is not."""
    if problem := variants.launch_problem(campaign, plan.step, plan.account):
        return problem
    if plan.to_send:
        return ""
    if campaign.type == Campaign.Type.SEQUENCE and campaign.enroll_new_leads:
        return ""  # it waits for the leads who will match
    if not plan.audience:
        return str(NOBODY_MATCHES)
    return ALL_OPTED_OUT % {"count": plan.audience, "n": grouped(plan.audience)}


def already_launched(campaign: Campaign) -> str:
    """ "Already launched at 05:06 by agent." """
    said = ALREADY_ACTIVATED if campaign.type == Campaign.Type.SEQUENCE else ALREADY_LAUNCHED
    moment = spoken_time(campaign.launched_at) if campaign.launched_at else ""
    user = campaign.launched_by
    who = (user.get_full_name() or user.get_username()) if user else ""
    return said[bool(moment), bool(who)].format(when=moment, who=who)


def _launch(campaign: Campaign, user: Any, form: LaunchForm | None) -> str:
    """Activate the sequence (no form) or launch the blast; the note for staff."""
    if form is None:
        enrolled = schedule.sequence_activate(campaign=campaign, user=user)
        return ngettext(
            "Activated: %(n)s lead enrolled. Each step goes out when due.",
            "Activated: %(n)s leads enrolled. Each step goes out when due.",
            enrolled,
        ) % {"n": grouped(enrolled)}
    launched = blasts.campaign_launch(
        campaign=campaign, user=user, send_after=form.cleaned_data["send_at"]
    )
    return _launched_note(campaign, launched)


def _launched_note(campaign: Campaign, launched: Any) -> str:
    zone = campaign.organization.timezone
    if launched.send_after:
        when = _("It will start on {moment} ({zone}).").format(
            moment=formats.date_format(
                launched.send_after.astimezone(campaign.organization.zone), "DATETIME_FORMAT"
            ),
            zone=zone,
        )
    elif sender_health.nothing_sending(Campaign.objects.filter(pk=campaign.pk)):
        when = str(WAITS_FOR_SENDER)  # the page's warning says what to do
    else:
        when = str(_("Sending has started."))
    queued, skipped = launched.total - launched.skipped, launched.skipped
    rest = QUEUING_REST if launched.queuing else ""
    return (
        ngettext("Launched: %(n)s message queued", "Launched: %(n)s messages queued", queued)
        % {"n": grouped(queued)}
        + (
            ngettext(", %(n)s opted-out lead skipped", ", %(n)s opted-out leads skipped", skipped)
            % {"n": grouped(skipped)}
            if skipped
            else ""
        )
        + "."
        + (f" {rest}" if rest else "")
        + f" {when}"
    )


def campaign_cancel(model_admin: Any, request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Cancel after a confirmation that names the leads who will not get what waits."""
    if request.method == "POST":
        try:
            cancelled = campaign.cancel()
        except CampaignStatusError as refused:
            messages.warning(request, str(refused))
            return HttpResponseRedirect(
                reverse("admin:campaigns_campaign_change", args=[campaign.pk])
            )
        note = ngettext(
            "Cancelled: %(n)s waiting message will not be sent.",
            "Cancelled: %(n)s waiting messages will not be sent.",
            cancelled,
        )
        messages.success(request, note % {"n": grouped(cancelled)})
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    return render(
        request,
        "admin/campaigns/campaign/cancel.html",
        _context(
            model_admin,
            request,
            _("Cancel {name}").format(name=campaign.name),
            breadcrumbs=[Campaign, campaign, _("Cancel")],
            campaign=campaign,
            progress=campaign_progress(campaign),
            **cancel_leads(campaign),
        ),
    )


def cancel_leads(campaign: Campaign) -> dict[str, Any]:
    """The leads a cancel leaves without what waits for them: a sequence's active leads
    (their steps still due), a blast's leads with a message waiting. The first few by
    name, and the link to all of them."""
    if campaign.type == Campaign.Type.SEQUENCE:
        waiting = Lead.objects.filter(
            enrollments__campaign=campaign, enrollments__state=Enrollment.State.ACTIVE
        )
        every = reverse("admin:campaigns_enrollment_changelist")
        every += f"?campaign__id__exact={campaign.pk}&state__exact=active"
    else:
        waiting = Lead.objects.filter(
            message_logs__campaign=campaign,
            message_logs__is_test=False,
            message_logs__status=MessageLog.Status.QUEUED,
        )
        every = reverse("admin:campaigns_messagelog_changelist")
        every += f"?campaign__id__exact={campaign.pk}&status__exact=queued"
    return {
        "stopped_leads": waiting.order_by("name", "pk")[:NAMED_LEADS],
        "stopped_count": waiting.count(),
        "stopped_link": every,
        "outlook": sequence_outlook(campaign).text(paused=campaign.status == Campaign.Status.PAUSED)
        if campaign.type == Campaign.Type.SEQUENCE
        else "",
    }


def campaign_duplicate(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """A draft copy of the campaign (steps and audience settings), after a confirmation."""
    campaign = model_admin.get_object(request, object_id)
    if campaign is None:
        raise Http404(_("No such campaign."))
    if request.method == "POST":
        copy = campaign.duplicate()
        messages.success(
            request,
            _("“{name}” is a draft copy: change what you need, then launch it.").format(
                name=copy.name
            ),
        )
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[copy.pk]))
    return render(
        request,
        "admin/campaigns/campaign/duplicate.html",
        _context(
            model_admin,
            request,
            _("Duplicate {name}").format(name=campaign.name),
            campaign=campaign,
            steps=campaign.steps.count(),
        ),
    )


def campaign_progress_json(model_admin: Any, request: HttpRequest, object_id: str) -> JsonResponse:
    """Everything on the campaign page that changes while it sends
    (campaigns/reporting/campaign_live.py)."""
    campaign = model_admin.get_object(request, object_id)
    if campaign is None:
        raise Http404(_("No such campaign."))
    return JsonResponse(campaign_live.campaign_live(campaign))


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
                str(_("Add leads to a campaign")),
                breadcrumbs=[Lead, _("Add to a campaign")],
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
        ngettext(
            "Added %(n)s lead to “%(name)s”; its audience is now its chosen leads.",
            "Added %(n)s leads to “%(name)s”; its audience is now its chosen leads.",
            len(leads),
        )
        % {"n": grouped(len(leads)), "name": chosen.name}
        + (
            ngettext(
                " %(n)s lead of another organization was left out.",
                " %(n)s leads of another organization were left out.",
                left_out,
            )
            % {"n": grouped(left_out)}
            if left_out
            else ""
        ),
        messages.SUCCESS,
    )
    return None
