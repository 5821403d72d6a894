"""Per-recipient unsubscribe links, put in each message as it is sent: an opaque signed token
naming the lead, never an address.

The token has no expiry (opt-out links must keep working for at least 30 days) and does
not depend on the campaign, so it works after the campaign is deleted.

A test message (sent to staff, rendered for a real lead) carries a test token: the same
page opens, but nothing changes for the lead. Test tokens are signed with their own salt,
so one can never be turned into the lead's real token, nor read as one.
"""

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, get_urlconf, reverse

from campaigns.content import public_address
from crm.models import Lead

SALT = "campaigns.unsubscribe"
CAMPAIGN_PARAMETER = "c"
TEST_SALT = "campaigns.unsubscribe.test"


@dataclass(frozen=True)
class Link:
    """What an unsubscribe token names: the lead, and whether it came in a test message."""

    lead: Lead
    is_test: bool


def token_for(lead: Lead, *, test: bool = False) -> str:
    # Deterministic (no timestamp), so the previewed message is byte for byte the sent one.
    return signing.Signer(salt=TEST_SALT if test else SALT).sign(lead.pk.hex)


def url_for(lead: Lead, *, test: bool = False, campaign: Any = None) -> str:
    """The lead's link; with the campaign, its preference page offers to leave just that
    campaign (or its kind) too. The campaign's id is not secret: the page only shows a
    campaign of the lead's own agency, and only changes the lead's own preferences."""
    before, after = _url_around(
        public_address.base_url(), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
    )
    url = before + token_for(lead, test=test) + after
    campaign_id = getattr(campaign, "pk", campaign)
    return f"{url}?{CAMPAIGN_PARAMETER}={campaign_id.hex}" if campaign_id else url


_PLACEHOLDER = "TOKEN"


@functools.lru_cache(maxsize=16)
def _url_around(base_url: str, urlconf: str, script_prefix: str) -> tuple[str, str]:
    """The link's text before and after the token, found once: a launch makes one link per
    lead, and reverse() would cost more than the signature. Tokens need no quoting."""
    path = reverse("unsubscribe", args=[_PLACEHOLDER], urlconf=urlconf)
    before, _, after = path.rpartition(_PLACEHOLDER)
    return base_url + before, after


def link_for(token: str) -> Link | None:
    """The lead a token names, or None for a token we did not sign."""
    for salt, is_test in ((SALT, False), (TEST_SALT, True)):
        try:
            lead_id = signing.Signer(salt=salt).unsign(token)
        except signing.BadSignature:
            continue
        lead = Lead.objects.select_related("organization").filter(pk=lead_id).first()
        return Link(lead=lead, is_test=is_test) if lead else None
    return None
