"""The live preview beside the step editor: the step as typed, not yet saved, rendered for a
lead of the campaign's audience exactly as it would be sent (sending.render_for)."""

import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

from campaigns.admin.pages import pick
from campaigns.audiences import audience
from campaigns.content import follow_ups, rendering, template_errors
from campaigns.models import VARIANT_FIELDS, Campaign, CampaignStep, EmailAccount
from campaigns.outbox import senders, sending
from crm.models import Lead, Organization
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
    show (A to D); to tell what subject each step is sent with, the campaign's type and
    thread_follow_ups as on the page, `steps` (each row's key, order, is_active, subject and
    new_thread, as JSON) and `step` (the previewed row's key). Answers the rendered parts
    (the subject as sent), or the error in plain words, the leads to choose from, and
    `subjects`: {row key: {subject, threaded}} in words."""
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
    # What subject each step goes with, from the page as typed (follow_ups).
    as_typed = _campaign_as_typed(campaign, organization, data)
    rows = _rows(as_typed, data.get("steps", ""))
    first_step = rows[0][1] if rows else None
    answer["subjects"] = {
        key: {"subject": sent.subject, "threaded": sent.threaded}
        for (key, _), sent in zip(
            rows,
            follow_ups.subjects_as_sent([row for _, row in rows], as_typed.as_written),
            strict=True,
        )
    }
    current = next((row for key, row in rows if key == data.get("step")), None)
    if current is not None:
        step.campaign, step.order, step.new_thread = as_typed, current.order, current.new_thread
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
    subject = rendered.subject
    if current is not None:
        subject = sending.subject_for(step, first_step, subject, lead, account)
    return JsonResponse(
        {**answer, "subject": subject, "html": rendered.html, "text": rendered.text}
    )


def _campaign_as_typed(
    campaign: Campaign | None, organization: Organization, data: Any
) -> Campaign:
    """The campaign with the type and threading the page shows, unsaved (a copy in memory)."""
    typed = Campaign.objects.get(pk=campaign.pk) if campaign else Campaign(pk=None)
    typed.organization = organization
    if data.get("type") in Campaign.Type.values:
        typed.type = data["type"]
    if "thread_follow_ups" in data:
        typed.thread_follow_ups = bool(data["thread_follow_ups"])
    return typed


def _rows(campaign: Campaign, posted: str) -> list[tuple[str, CampaignStep]]:
    """The page's active steps in order, as (row key, unsaved step); none when the page
    sent none or sent them malformed (the preview then shows each subject as written)."""
    try:
        rows = json.loads(posted or "[]")
        steps = [
            (
                str(row["key"]),
                CampaignStep(
                    campaign=campaign,
                    order=int(row.get("order") or 0),
                    subject=str(row.get("subject", "")),
                    new_thread=bool(row.get("new_thread")),
                ),
            )
            for row in rows
            if row.get("is_active", True)
        ]
    except (ValueError, TypeError, KeyError, AttributeError):
        return []
    return sorted(steps, key=lambda row: row[1].order)


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
