"""The admin's look and navigation, grouped the way agency staff think."""

from typing import Any

from django.templatetags.static import static
from django.urls import reverse_lazy

UNFOLD: dict[str, Any] = {
    "SITE_TITLE": "Campaigns",
    "SITE_HEADER": "Campaigns",
    "SITE_SUBHEADER": "Email outreach for your leads",
    "SITE_SYMBOL": "campaign",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "ENVIRONMENT": "crm.site.navigation.environment_badge",
    "DASHBOARD_CALLBACK": "campaigns.reporting.dashboard.dashboard_callback",
    "LOGIN": {"form": "crm.site.login.LoginForm"},
    # What unfold's own styles leave out: a header that makes room for the page's title,
    # and wide tables read as cards on a phone (campaigns/static/campaigns/admin.css).
    "STYLES": [lambda request: static("campaigns/admin.css")],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "title": "Leads",
                "items": [
                    {
                        "title": "Leads",
                        "icon": "people",
                        "link": reverse_lazy("admin:crm_lead_changelist"),
                    },
                    {
                        # The page's own title and the lead list's button say the same
                        # (crm.importing.import_views.IMPORT_LEADS).
                        "title": "Import leads",
                        "icon": "upload_file",
                        "link": reverse_lazy("admin:crm_lead_import"),
                    },
                    {
                        "title": "Lead form keys",
                        "icon": "key",
                        "link": reverse_lazy("admin:crm_inboundkey_changelist"),
                    },
                    {
                        "title": "Tags",
                        "icon": "sell",
                        "link": reverse_lazy("admin:crm_tag_changelist"),
                    },
                    {
                        "title": "Custom fields",
                        "icon": "dataset",
                        "link": reverse_lazy("admin:crm_customfield_changelist"),
                    },
                    {
                        "title": "Properties",
                        "icon": "home_work",
                        "link": reverse_lazy("admin:crm_property_changelist"),
                    },
                    {
                        "title": "Suppression list",
                        "icon": "block",
                        "link": reverse_lazy("admin:crm_suppressedaddress_changelist"),
                    },
                ],
            },
            {
                "title": "Campaigns",
                "items": [
                    {
                        "title": "Campaigns",
                        "icon": "campaign",
                        "link": reverse_lazy("admin:campaigns_campaign_changelist"),
                    },
                    {
                        "title": "Listing alerts",
                        "icon": "notifications_active",
                        "link": reverse_lazy("admin:campaigns_listingalert_changelist"),
                    },
                    {
                        "title": "Enrollments",
                        "icon": "route",
                        "link": reverse_lazy("admin:campaigns_enrollment_changelist"),
                    },
                ],
            },
            {
                "title": "Sending accounts",
                "items": [
                    {
                        "title": "Email accounts",
                        "icon": "alternate_email",
                        "link": reverse_lazy("admin:campaigns_emailaccount_changelist"),
                    },
                ],
            },
            {
                "title": "Messages",
                "items": [
                    {
                        "title": "Message log",
                        "icon": "mail",
                        "link": reverse_lazy("admin:campaigns_messagelog_changelist"),
                    },
                ],
            },
            {
                "title": "Organization",
                "items": [
                    {
                        "title": "Organizations",
                        "icon": "apartment",
                        "link": reverse_lazy("admin:crm_organization_changelist"),
                    },
                    {
                        "title": "Memberships",
                        "icon": "badge",
                        "link": reverse_lazy("admin:crm_membership_changelist"),
                        "permission": "crm.site.navigation.is_superuser",
                    },
                    {
                        "title": "Users",
                        "icon": "person",
                        "link": reverse_lazy("admin:auth_user_changelist"),
                        "permission": "crm.site.navigation.is_superuser",
                    },
                    {
                        "title": "Failed logins",
                        "icon": "lock_clock",
                        "link": reverse_lazy("admin:axes_accessattempt_changelist"),
                        "permission": "crm.site.navigation.is_superuser",
                    },
                    {
                        "title": "Logins",
                        "icon": "login",
                        "link": reverse_lazy("admin:axes_accesslog_changelist"),
                        "permission": "crm.site.navigation.is_superuser",
                    },
                ],
            },
        ],
    },
}
