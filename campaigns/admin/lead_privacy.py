"""The lead page's privacy actions: record how the agency may email the lead (with the
words they were shown), download everything held about them (an access request in one
click), and *Forget this lead* (erased, their address kept as a hash on the suppression
list). Each page calls one service; a GET never changes a row."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from campaigns.admin.pages import confirmation
from campaigns.reporting.lead_data import lead_data_json
from crm import consent
from crm.erasure import lead_forget
from crm.models import ConsentBasis, ConsentRecord, Lead

RECORDED = _("Consent recorded for {lead}: {basis}.")
FORGOTTEN = _(
    "{name} was erased. Their address stays on the suppression list as a hash only: no "
    "import or form can email them again."
)
FORGET_EXPLANATION = _(
    "Everything held about {name} is deleted: their details, consent history, messages and "
    "sequences. Their address is kept only as a keyed hash on {organization}'s suppression "
    "list, so that a later import cannot email them again. This cannot be undone; download "
    "their data first if they asked for a copy."
)
DATE_NEEDED = _("{regime} counts this basis from its date: give the day it was given.")


class ConsentForm(forms.Form):
    basis = forms.ChoiceField(choices=ConsentBasis.choices, label=_("How may we email them?"))
    given_on = forms.DateField(
        required=False,
        label=_("Since"),
        help_text=_("The day they gave consent, asked about a property, or bought or sold."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    source_detail = forms.CharField(
        max_length=500,
        required=False,
        label=_("Where from"),
        help_text=_("The form's address, a phone call, a signed mandate…"),
    )
    wording = forms.CharField(
        required=False,
        label=_("The words they were shown"),
        help_text=_(
            "The consent request as they read it (CASL s. 10(1) asks for its purpose and "
            "who is asking)."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, lead: Lead, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regime = consent.regime_for(lead.organization.country)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.regime.needs_date(data.get("basis", "")) and not data.get("given_on"):
            self.add_error("given_on", DATE_NEEDED.format(regime=self.regime.name))
        return data


def _lead(model_admin: Any, request: HttpRequest, object_id: str) -> Lead:
    lead = model_admin.get_object(request, object_id)  # scoped to the staff's agencies
    if lead is None:
        raise Http404(_("No such lead."))
    return lead


def _back(lead: Lead) -> str:
    return reverse("admin:crm_lead_change", args=[lead.pk])


def record_consent_page(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    lead = _lead(model_admin, request, object_id)
    form = ConsentForm(request.POST or None, lead=lead)
    if request.method == "POST" and form.is_valid():
        record = consent.consent_record(
            lead=lead,
            basis=form.cleaned_data["basis"],
            given_on=form.cleaned_data["given_on"],
            source=ConsentRecord.Source.STAFF,
            source_detail=form.cleaned_data["source_detail"],
            wording=form.cleaned_data["wording"],
            recorded_by=request.user,
        )
        messages.success(request, RECORDED.format(lead=lead.name, basis=record.get_basis_display()))
        return HttpResponseRedirect(_back(lead))
    return render(
        request,
        "admin/crm/lead/record_consent.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": Lead._meta,
            "original": lead,
            "title": _("Record consent for {name}").format(name=lead.name),
            "form": form,
            "regime": form.regime,
            "back": _back(lead),
        },
    )


def export_lead_data(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """A download: reading data changes nothing, so a GET is right."""
    lead = _lead(model_admin, request, object_id)
    response = HttpResponse(lead_data_json(lead), content_type="application/json; charset=utf-8")
    name = slugify(lead.name) or "lead"
    response["Content-Disposition"] = f'attachment; filename="{name}-data.json"'
    return response


def forget_lead_page(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    lead = _lead(model_admin, request, object_id)
    if request.method != "POST":
        return confirmation(
            model_admin,
            request,
            title=_("Forget {name}?").format(name=lead.name),
            explanation=FORGET_EXPLANATION.format(name=lead.name, organization=lead.organization),
            button=_("Forget this lead"),
            back=_back(lead),
            icon="person_remove",
        )
    lead_forget(lead=lead, by=request.user)
    messages.success(request, FORGOTTEN.format(name=lead.name))
    return HttpResponseRedirect(reverse("admin:crm_lead_changelist"))
