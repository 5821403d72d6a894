"""The admin's look and navigation, grouped the way agency staff think."""

from typing import Any

from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

UNFOLD: dict[str, Any] = {
    "SITE_TITLE": _("Campaigns"),
    "SITE_HEADER": _("Campaigns"),
    "SITE_SUBHEADER": _("Email outreach for your leads"),
    "SITE_SYMBOL": "campaign",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "ENVIRONMENT": "crm.site.navigation.environment_badge",
    "DASHBOARD_CALLBACK": "campaigns.reporting.dashboard.dashboard_callback",
    "LOGIN": {"form": "crm.site.login.LoginForm"},
    # The user menu: Preferences (the admin's language), Change password, and the
    # languages, whose switcher also saves the choice as the user's (crm/site/languages.py).
    "ACCOUNT": {"navigation": "crm.site.languages.account_links"},
    "SHOW_LANGUAGES": True,
    "LANGUAGES": {"action": reverse_lazy("admin:language")},
    # What unfold's own styles leave out: a header that makes room for the page's title,
    # and wide tables read as cards on a phone (campaigns/static/campaigns/admin.css).
    "STYLES": [lambda request: static("campaigns/admin.css")],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "title": _("Leads"),
                "items": [
                    {
                        "title": _("Leads"),
                        "icon": "people",
                        "link": reverse_lazy("admin:crm_lead_changelist"),
                    },
                    {
                        # The page's own title and the lead list's button say the same
                        # (crm.importing.import_views.IMPORT_LEADS).
                        "title": _("Import leads"),
                        "icon": "upload_file",
                        "link": reverse_lazy("admin:crm_lead_import"),
                    },
                    {
                        "title": _("Lead form keys"),
                        "icon": "key",
                        "link": reverse_lazy("admin:crm_inboundkey_changelist"),
                    },
                    {
                        "title": _("Tags"),
                        "icon": "sell",
                        "link": reverse_lazy("admin:crm_tag_changelist"),
                    },
                    {
                        "title": _("Custom fields"),
                        "icon": "dataset",
                        "link": reverse_lazy("admin:crm_customfield_changelist"),
                    },
                    {
                        "title": _("Properties"),
                        "icon": "home_work",
                        "link": reverse_lazy("admin:crm_property_changelist"),
                    },
                    {
                        "title": _("Suppression list"),
                        "icon": "block",
                        "link": reverse_lazy("admin:crm_suppressedaddress_changelist"),
                    },
                ],
            },
            {
                "title": _("Campaigns"),
                "items": [
                    {
                        "title": _("Campaigns"),
                        "icon": "campaign",
                        "link": reverse_lazy("admin:campaigns_campaign_changelist"),
                    },
                    {
                        "title": _("Listing alerts"),
                        "icon": "notifications_active",
                        "link": reverse_lazy("admin:campaigns_listingalert_changelist"),
                    },
                    {
                        "title": _("Enrollments"),
                        "icon": "route",
                        "link": reverse_lazy("admin:campaigns_enrollment_changelist"),
                    },
                ],
            },
            {
                "title": _("Sending accounts"),
                "items": [
                    {
                        "title": _("Email accounts"),
                        "icon": "alternate_email",
                        "link": reverse_lazy("admin:campaigns_emailaccount_changelist"),
                    },
                ],
            },
            {
                "title": _("Messages"),
                "items": [
                    {
                        "title": _("Message log"),
                        "icon": "mail",
                        "link": reverse_lazy("admin:campaigns_messagelog_changelist"),
                    },
                ],
            },
            {
                "title": _("Organization"),
                "items": [
                    {
                        "title": _("Organizations"),
                        "icon": "apartment",
                        "link": reverse_lazy("admin:crm_organization_changelist"),
                    },
                    {
                        "title": _("Memberships"),
                        "icon": "badge",
                        "link": reverse_lazy("admin:crm_membership_changelist"),
                        "permission": "crm.site.navigation.is_superuser",
                    },
                    {
                        "title": _("Users"),
                        "icon": "person",
                        "link": reverse_lazy("admin:auth_user_changelist"),
                        "permission": "crm.site.navigation.is_superuser",
                    },
                    {
                        "title": _("Failed logins"),
                        "icon": "lock_clock",
                        "link": reverse_lazy("admin:axes_accessattempt_changelist"),
                        "permission": "crm.site.navigation.is_superuser",
                    },
                    {
                        "title": _("Logins"),
                        "icon": "login",
                        "link": reverse_lazy("admin:axes_accesslog_changelist"),
                        "permission": "crm.site.navigation.is_superuser",
                    },
                ],
            },
        ],
    },
}
