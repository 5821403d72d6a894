"""Template helpers of the admin's pages: `{{ row|get_item:name }}` (a value of a dict by a
name the template holds in a variable), and `{% empty_hint cl as hint %}`: what to do first
on an empty list, in words, with the pages that do it ("No leads yet: import a CSV or add
one")."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Per list (app_label.model_name): what an empty one says first, and the pages that fill it.
EMPTY_HINTS: dict[str, tuple[Any, list[tuple[Any, str]]]] = {
    "crm.lead": (
        _("No leads yet: import a CSV (from your CRM or a spreadsheet), or add one."),
        [(_("Import leads"), "admin:crm_lead_import"), (_("Add a lead"), "admin:crm_lead_add")],
    ),
    "campaigns.campaign": (
        _(
            "No campaigns yet: write a blast (one email to many leads), a sequence (emails "
            "over days) or a listing alert. Connect Gmail first if you have not."
        ),
        [
            (_("Add a campaign"), "admin:campaigns_campaign_add"),
            (_("Connect Gmail"), "admin:campaigns_emailaccount_connect_gmail"),
        ],
    ),
    "campaigns.emailaccount": (
        _("No sending account yet: connect the Gmail your campaigns will send from."),
        [(_("Connect Gmail"), "admin:campaigns_emailaccount_connect_gmail")],
    ),
    "campaigns.messagelog": (
        _(
            "No messages yet: each email a campaign sends (and each test you send yourself) "
            "shows here, with what came of it."
        ),
        [(_("Campaigns"), "admin:campaigns_campaign_changelist")],
    ),
    "campaigns.enrollment": (
        _("Nobody is in a sequence yet: activate a sequence and its audience is enrolled."),
        [(_("Campaigns"), "admin:campaigns_campaign_changelist")],
    ),
    "campaigns.listingalert": (
        _(
            "No listing alerts yet: turn on a listing alert campaign, then each new listing "
            "or price drop that fits leads makes one."
        ),
        [(_("Campaigns"), "admin:campaigns_campaign_changelist")],
    ),
    "crm.property": (
        _("No properties yet: add your listings; a new one alerts the leads it fits."),
        [(_("Add a property"), "admin:crm_property_add")],
    ),
    "crm.suppressedaddress": (
        _(
            "Nobody is on the suppression list: bounced addresses land here by themselves; "
            "import your old tool's unsubscribes before your first campaign."
        ),
        [(_("Import a list"), "admin:crm_suppressedaddress_import")],
    ),
}


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.simple_tag
def empty_hint(cl: Any) -> dict[str, Any] | None:
    """What an empty list says first and links to; None for the lists without one."""
    found = EMPTY_HINTS.get(cl.opts.label_lower)
    if found is None:
        return None
    text, pages = found
    links = []
    for label, name in pages:
        try:
            links.append({"label": label, "url": reverse(name)})
        except NoReverseMatch:
            continue
    return {"text": text, "links": links}
