"""The lead list filtered to the leads of one preflight finding: where the launch page's
counts link (`?preflight=<campaign id>:<finding key>`). The leads are found again from the
data, so the list is what a preflight run now would say."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campaigns.admin.pages import pick
from campaigns.models import Campaign
from campaigns.preflight.audit import SKIPS, lead_ids
from campaigns.preflight.content import REASONS
from crm.site.numbers import grouped
from crm.site.tenancy import organizations_of

# Beyond this many leads the list shows the first ones (a query takes so many ids at most).
LINKED_LEADS = 30_000


def describe(key: str) -> str:
    kind, _colon, rest = key.partition(":")
    order, _colon, detail = rest.partition(":")
    if kind == "skipped" and rest in SKIPS:
        return _("skipped, {reason}").format(reason=str(SKIPS[rest][0]).lower())
    if kind == "blank":
        return _("{field} is blank").format(field=rest)
    if kind == "missing":
        return _("{field}, no linked property").format(field=rest)
    if kind == "failed":
        return _("step {order} cannot be rendered").format(order=order)
    if kind == "content" and detail in REASONS:
        return _("step {order}, {problem}").format(
            order=order, problem=str(REASONS[detail]).split(":")[0]
        )
    if kind == "duplicates":
        return str(_("addresses shared by several leads"))
    return key


class PreflightLeadFilter(admin.SimpleListFilter):
    title = _("preflight finding")
    parameter_name = "preflight"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        if not value:
            return []  # no choice: the filter stays hidden until a link names one
        campaign_id, _colon, key = value.partition(":")
        campaigns = Campaign.objects.filter(organization__in=organizations_of(request.user))
        campaign = pick(campaigns.select_related("organization"), campaign_id)
        self.ids = lead_ids(campaign, key) if campaign else []
        label = f"{campaign.name}: {describe(key)}" if campaign else str(_("unknown campaign"))
        if len(self.ids) > LINKED_LEADS:
            label += " " + _("(the first {first} of {all})").format(
                first=grouped(LINKED_LEADS), all=grouped(len(self.ids))
            )
        return [(value, label)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        return queryset.filter(pk__in=self.ids[:LINKED_LEADS])
