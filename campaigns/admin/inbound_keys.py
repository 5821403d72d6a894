"""The admin of lead form keys (POST /api/leads/): made here, the secret shown once with a
form to copy; each key with the leads it brought and the sequence it enrols them in;
revoked, never shown again. It lives with the campaigns because a key names a sequence."""

from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminURLInputWidget

from campaigns.admin import pages
from campaigns.models import Campaign
from crm.inbound import keys, snippet
from crm.models import InboundKey
from crm.site.numbers import grouped
from crm.site.tenancy import TenantScopedAdmin, organizations_of

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

SEQUENCE_ELSEWHERE = _("This sequence belongs to another agency.")
REVOKE_EXPLAINED = _(
    "Forms and tools that still send it are refused from now on; the leads it brought stay. "
    "A revoked key cannot be used again: make a new one."
)
REVOKED = ngettext_lazy(
    "%(n)s key revoked: whatever still uses it is refused from now on.",
    "%(n)s keys revoked: whatever still uses them is refused from now on.",
    "n",
)


class _Brought(TypedDict):
    leads_brought: int


class InboundKeyForm(forms.ModelForm):
    sequence = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        label=_("Enrol in sequence"),
        widget=UnfoldAdminSelectWidget,
        help_text=_("Every lead the key brings joins this sequence, while it runs (once each)."),
    )
    thanks_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label=_("Thank-you page"),
        widget=UnfoldAdminURLInputWidget,
        help_text=InboundKey._meta.get_field("thanks_url").help_text,
    )

    class Meta:
        model = InboundKey
        fields = ["organization", "name", "source", "thanks_url"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.enrol_in:
            self.initial["sequence"] = self.instance.enrol_in

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sequence = data.get("sequence")
        organization = data.get("organization") or getattr(self, "tenant_organization", None)
        if organization is None and self.instance.organization_id:
            organization = self.instance.organization
        other = getattr(sequence, "organization_id", None)
        if organization is not None and other is not None and other != organization.pk:
            self.add_error("sequence", SEQUENCE_ELSEWHERE)
        return data


@admin.register(InboundKey)
class InboundKeyAdmin(TenantScopedAdmin, ModelAdmin):
    form = InboundKeyForm
    list_display = [
        "name",
        "key_shown",
        "source",
        "sequence_name",
        "leads_link",
        "created_at",
        "last_used_at",
        "state",
    ]
    search_fields = ["name", "prefix", "source"]
    readonly_fields = ["key_shown", "last_used_at", "revoked_at"]
    actions = ["revoke"]
    actions_detail = ["revoke_one"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["organization", "name", "source", "sequence", "thanks_url"]
        if obj is not None:
            fields = ["organization", "key_shown", "name", "source", "sequence", "thanks_url"]
            fields += ["last_used_at", "revoked_at"]
        fieldsets = [(None, {"fields": fields})]
        if "organization" in self.get_exclude(request, obj):
            return [(None, {"fields": [f for f in fields if f != "organization"]})]
        return fieldsets

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        sequences = Campaign.objects.filter(
            organization__in=organizations_of(request.user), type=Campaign.Type.SEQUENCE
        ).order_by("name")
        form.base_fields["sequence"].queryset = sequences
        return form

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundKey]:
        return super().get_queryset(request).annotate(leads_brought=Count("leads"))

    def save_model(self, request: HttpRequest, obj: InboundKey, form: Any, change: bool) -> None:
        sequence = form.cleaned_data.get("sequence")
        obj.enrol_in = sequence.pk if sequence else None
        if not change:
            obj.created_by_id = request.user.pk
            request.inbound_secret = keys.new_secret(obj)  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def response_add(self, request: HttpRequest, obj: InboundKey, *args: Any) -> HttpResponse:
        """The secret, once, with a form to paste into the agency's site."""
        endpoint = request.build_absolute_uri(reverse("leads_api"))
        return TemplateResponse(
            request,
            "admin/crm/inboundkey/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Key “{name}” made").format(name=obj.name),
                "key": obj,
                "secret": getattr(request, "inbound_secret", ""),
                "endpoint": endpoint,
                "snippet": snippet.form_for(endpoint, getattr(request, "inbound_secret", "")),
            },
        )

    @display(description=_("Key"))
    def key_shown(self, obj: InboundKey) -> str:
        return f"{obj.prefix}…"

    @display(description=_("Sequence"))
    def sequence_name(self, obj: InboundKey) -> str:
        if obj.enrol_in is None:
            return "–"
        campaign = Campaign.objects.filter(pk=obj.enrol_in).only("name", "status").first()
        if campaign is None:
            return str(_("(deleted)"))
        live = "" if campaign.status in Campaign.LIVE else f" ({campaign.get_status_display()})"
        return campaign.name + live

    @display(description=_("Leads brought"), ordering="leads_brought")
    def leads_link(self, obj: "WithAnnotations[InboundKey, _Brought]") -> str:
        url = reverse("admin:crm_lead_changelist") + f"?inbound_key__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, grouped(obj.leads_brought))

    @display(description=_("State"), label={"Live": "success", "Revoked": "danger"})
    def state(self, obj: InboundKey) -> tuple[str, str]:
        return ("Revoked", str(_("Revoked"))) if obj.revoked_at else ("Live", str(_("Live")))

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[InboundKey]) -> None:
        count = sum(keys.inbound_key_revoke(key=key) for key in queryset)
        messages.success(request, REVOKED % {"n": count})

    @action(description=_("Revoke"), url_path="revoke", icon="key_off")
    def revoke_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A GET asks, the POST revokes."""
        key = self.get_object(request, object_id)
        if key is None:
            raise Http404(_("No such key."))
        if request.method != "POST":
            return pages.confirmation(
                self,
                request,
                title=_("Revoke “{key}”?").format(key=key),
                explanation=REVOKE_EXPLAINED,
                button=_("Revoke"),
                back=reverse("admin:crm_inboundkey_change", args=[key.pk]),
                icon="key_off",
            )
        count = int(keys.inbound_key_revoke(key=key))
        messages.success(request, REVOKED % {"n": count})
        return HttpResponseRedirect(reverse("admin:crm_inboundkey_changelist"))
