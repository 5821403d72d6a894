"""The live preview beside the step editor: the step as typed, not yet saved, rendered for a
lead of the campaign's audience exactly as it would be sent (sending.render_for)."""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

from campaigns.admin.pages import pick
from campaigns.audiences import audience
from campaigns.content import rendering, template_errors
from campaigns.models import VARIANT_FIELDS, Campaign, CampaignStep, EmailAccount
from campaigns.outbox import senders, sending
from crm.models import Lead
from crm.site.tenancy import organizations_of

LEAD_CHOICES = 50
NO_LEADS = "Your agency has no leads yet: import some to see the preview."
EMPTY_AUDIENCE = "Nobody is in this campaign's audience yet: here is a lead of your agency."

# The merge-field picker: what it inserts, each with a fallback where a lead may lack it.
MERGE_FIELDS = [
    ("First name", '{{ lead.first_name | default("there", true) }}'),
    ("Full name", '{{ lead.name | default("there", true) }}'),
    ("City", '{{ lead.city | default("your area", true) }}'),
    ("Email", "{{ lead.email }}"),
    ("Property", '{{ property.title | default("our latest listings", true) }}'),
    ("Property address", '{{ property.address | default("", true) }}'),
    ("Property link", '{{ property.url | default("", true) }}'),
    ("Listing card", "{{ listing_card }}"),
    ("Agency", "{{ organization.name }}"),
    ("Your name", "{{ sender.name }}"),
    ("Unsubscribe link", "{{ unsubscribe_url }}"),
]


def step_preview_json(model_admin: Any, request: HttpRequest) -> HttpResponse:
    """POST: campaign (absent on a new one), organization, lead, account, and the step's
    subject, subject_b to subject_d, body_template and text_template, and the variant to
    show (A to D). Answers the rendered parts, or the error in plain words, and the leads
    to choose from."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    data = request.POST
    campaign = pick(model_admin.get_queryset(request), data.get("campaign"))
    if data.get("campaign") and campaign is None:
        raise Http404("No such campaign.")
    organizations = organizations_of(request.user)
    organization = (
        campaign.organization
        if campaign
        else pick(organizations, data.get("organization")) or organizations.first()
    )
    if organization is None:
        raise Http404("You are not a member of any organization.")
    everyone = Lead.objects.filter(organization=organization).select_related(
        "property", "organization"
    )
    leads, note = _audience(campaign, everyone)
    # Any lead of the agency may be chosen; the list offers the audience.
    lead = pick(everyone, data.get("lead")) or leads.first()
    answer: dict[str, Any] = {
        "note": note,
        "leads": [{"id": str(item.pk), "label": str(item)} for item in leads[:LEAD_CHOICES]],
    }
    if lead is None:
        return JsonResponse({**answer, "error": {"part": "", "line": None, "message": NO_LEADS}})
    answer["lead"] = {"id": str(lead.pk), "label": str(lead)}
    accounts = EmailAccount.objects.filter(organization=organization, is_active=True)
    account = (
        pick(accounts, data.get("account"))
        or (
            senders.sending_account(campaign)
            if campaign
            else senders.primary_account(organization.pk)
        )
        or accounts.first()
    )
    from_agents = data.get("send_from_agents", campaign.send_from_agents if campaign else "")
    if from_agents:
        # Ticked to send from each lead's agent (saved or not): as this lead would get it.
        account = senders.agent_account(organization.pk, lead.owner_id) or account
    step = CampaignStep(
        campaign=campaign,
        subject=data.get("subject", ""),
        **{name: data.get(name, "") for name in VARIANT_FIELDS},
        body_template=data.get("body_template", ""),
        text_template=data.get("text_template", ""),
    )
    # An A/B test's subject B, C or D, as typed (the first subject when that one is empty).
    variant = data.get("variant", "").upper()
    answer["variant"] = variant if variant in step.variants() else "A"
    # The campaign's language as chosen on the page, saved or not ("": the agency's); the
    # saved one's when the page sends none.
    language = data.get("language")
    if language is not None and language not in dict(settings.LANGUAGES):
        language = ""
    try:
        rendered = sending.render_for(
            step, lead, account, variant=answer["variant"], language=language
        )
    except rendering.TemplateError as error:
        part = template_errors.part_name(error.part)
        return JsonResponse(
            {**answer, "error": {"part": part, "line": error.line, "message": str(error)}}
        )
    return JsonResponse(
        {**answer, "subject": rendered.subject, "html": rendered.html, "text": rendered.text}
    )


def _audience(campaign: Campaign | None, everyone: Any) -> tuple[Any, str]:
    """The campaign's audience as saved, by name; the agency's leads when it is empty."""
    if campaign is not None:
        try:
            leads = audience.audience_of(campaign).select_related("property", "organization")
        except audience.AudienceError:
            leads = Lead.objects.none()
        if leads.exists():
            return leads.order_by("name"), ""
    return everyone.order_by("name"), EMPTY_AUDIENCE if everyone.exists() else ""
