"""The leads list's filters that are not one column's values: a budget range, the leads of
a campaign, and whether their agency's rules let it email them (consent)."""

import re
import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import DropdownFilter, RangeNumericListFilter

from campaigns.audiences.audience import audience_of
from campaigns.models import Campaign, Enrollment, MessageLog
from crm import consent
from crm.models import Lead, Organization
from crm.site.tenancy import organization_ids

CAMPAIGNS_LISTED = 200
# "500000", "500,000", "$ 500 000": what people type for an amount.
_MONEY_NOISE = re.compile(r"[\s,$€£'\u00a0\u202f]")


def _amount(value: Any) -> int | None:
    try:
        return int(_MONEY_NOISE.sub("", str(value or "")))
    except ValueError:
        return None


class BudgetFilter(RangeNumericListFilter):
    """Leads whose budget reaches into the range: "from" means they can spend at least that
    much (as a campaign's audience reads it), "to" that they look at that price or below.
    A lead without a budget matches no range."""

    title = _("budget")
    parameter_name = "budget"

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        low = _amount(self.used_parameters.get("budget_from"))
        high = _amount(self.used_parameters.get("budget_to"))
        if low is not None:
            queryset = queryset.filter(
                Q(budget_max__gte=low) | Q(budget_max__isnull=True, budget_min__gte=low)
            )
        if high is not None:
            queryset = queryset.filter(
                Q(budget_min__lte=high) | Q(budget_min__isnull=True, budget_max__lte=high)
            )
        return queryset


class InCampaignFilter(DropdownFilter):
    """The leads of one campaign: for a draft, those it would be sent to; once launched,
    those it queued a message for or enrolled."""

    title = _("campaign")
    parameter_name = "in_campaign"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (str(campaign.pk), campaign.name)
            for campaign in _campaigns(request).order_by("-created_at")[:CAMPAIGNS_LISTED]
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        if not self.value():
            return queryset
        try:
            campaign = _campaigns(request).filter(pk=uuid.UUID(self.value())).first()
        except ValueError:
            campaign = None
        if campaign is None:
            return queryset.none()
        if not campaign.is_launched:
            return queryset.filter(pk__in=audience_of(campaign).values("pk"))
        messaged = MessageLog.objects.filter(campaign=campaign, is_test=False).values("lead")
        enrolled = Enrollment.objects.filter(campaign=campaign).values("lead")
        return queryset.filter(Q(pk__in=messaged) | Q(pk__in=enrolled))


def _campaigns(request: HttpRequest) -> QuerySet[Campaign]:
    if request.user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(organization__in=organization_ids(request))


class ConsentFilter(DropdownFilter):
    """Leads by what their agency's rules let it do now: email them, no consent on record,
    or consent expired (crm/consent.py); each agency's own rules, whatever it mixes."""

    title = _("consent")
    parameter_name = "consent"
    CHOICES = {
        "allowed": _("May be emailed"),
        "no_consent": _("No consent on record"),
        "consent_expired": _("Consent expired"),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, str(label)) for key, label in self.CHOICES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        value = self.value()
        if value not in self.CHOICES:
            return queryset
        chosen = Q(pk__in=[])
        for organization in Organization.objects.filter(pk__in=organization_ids(request)):
            regime = consent.regime_for(organization.country)
            today = consent.today_of(organization)
            if value == "allowed":
                found = ~consent.not_allowed(organization)
            elif regime is consent.CAN_SPAM:
                continue
            elif value == "no_consent":
                found = consent.no_consent(regime)
            else:
                found = consent.consent_expired(regime, today) & ~consent.no_consent(regime)
            chosen |= Q(organization=organization) & found
        return queryset.filter(chosen)
