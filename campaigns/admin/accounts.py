"""The admin of sending accounts: connecting Gmail, its limits, reply detection and the send
plan."""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from campaigns.accounts import access, domain_check
from campaigns.admin import domain_words, pages
from campaigns.models import EmailAccount
from campaigns.outbox import bounce_rate
from campaigns.reporting.planner.page import plan_page
from crm.site.tenancy import TenantScopedAdmin

CHECK_EXPLANATION = _(
    "Reads {domain}'s SPF, DKIM and DMARC records from DNS now and keeps what they say, with "
    "the time: this page, the home and the launch page show it."
)
DOMAIN_OK = _("{domain} has SPF, DKIM and DMARC in place.")
BOUNCES_SAID = _(
    "{bounced} of its last {judged} messages bounced ({percent:g}%). Above {limit:g}%, its "
    "campaigns pause (bounces are read only where reply and bounce detection is on)."
)
BOUNCES_NONE = _("Nothing sent yet (bounces are read only where reply and bounce detection is on).")
DOMAIN_PROBLEMS = _("{domain} is missing part of its authentication: see Sending domain below.")
NEEDS_PERMISSION = _(
    "Reply and bounce detection needs Google's permission to read message headers: use "
    "“Reconnect” on this account and allow it."
)


@admin.register(EmailAccount)
class EmailAccountAdmin(TenantScopedAdmin, ModelAdmin):
    list_display = [
        "email_address",
        "display_name",
        "provider",
        "state",
        "is_primary",
        "daily_limit",
        "replies",
        "user",
    ]
    list_filter = ["provider", "is_active", "needs_reconnect", "detect_replies"]
    search_fields = ["email_address", "display_name"]
    # Tokens are never shown or edited in the admin; the OAuth flow sets them.
    exclude = ["access_token", "refresh_token", "token_expires_at", "user"]
    # The address is Google's to say (the OAuth flow sets it), never typed.
    readonly_fields = [
        "email_address",
        "provider",
        "needs_reconnect",
        "paused_until",
        "last_error",
        "reply_detection",
        "sending_domain",
        "recent_bounces",
        "created_at",
        "updated_at",
    ]
    actions_list = ["connect_gmail"]
    actions_row = ["plan", "make_primary", "reconnect", "disconnect"]
    actions_detail = ["plan", "check_domain", "reconnect"]

    @action(description=_("Check the domain"), icon="dns", url_path="check-domain")
    def check_domain(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self.get_object(request, object_id)  # scoped to the staff's agencies
        if account is None:
            raise Http404(_("No such account."))
        back = reverse("admin:campaigns_emailaccount_change", args=[account.pk])
        if account.is_consumer_gmail:
            messages.info(request, domain_check.CONSUMER.format(domain=account.domain))
            return HttpResponseRedirect(back)
        if request.method != "POST":
            return pages.confirmation(
                self,
                request,
                title=_("Check {domain} now?").format(domain=account.domain),
                explanation=CHECK_EXPLANATION.format(domain=account.domain),
                button=_("Check the domain"),
                back=back,
                icon="dns",
            )
        check = domain_check.check_account(account)
        if check is not None and check.authenticated:
            messages.success(request, DOMAIN_OK.format(domain=account.domain))
        elif check is not None:
            messages.warning(request, check.error or DOMAIN_PROBLEMS.format(domain=account.domain))
        return HttpResponseRedirect(back)

    @display(description=_("Bounces"))
    def recent_bounces(self, obj: EmailAccount) -> str:
        rate = bounce_rate.bounce_rate(obj)
        limit = settings.BOUNCE_RATE_MAX_PERCENT
        if not rate.judged:
            return str(BOUNCES_NONE)
        return BOUNCES_SAID.format(
            bounced=rate.bounced, judged=rate.judged, percent=rate.percent, limit=limit
        )

    @display(description=_("Sending domain"))
    def sending_domain(self, obj: EmailAccount) -> str:
        return domain_words.account_domain_html(obj)

    # A mailbox is its staff member's: others of the agency see it read-only (access.py).
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or access.may_manage(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or access.may_manage(request.user, obj))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The address heads the page, though it is read-only (it would come last).
        fields = [field for field in super().get_fields(request, obj) if field != "email_address"]
        return ["email_address", *fields]

    def has_manage_account_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        """The detail page's Reconnect button, for whoever may manage the account."""
        account = self.get_object(request, object_id) if object_id else None
        return account is None or access.may_manage(request.user, account)

    @action(description=_("Send plan"), icon="event_upcoming", url_path="plan")
    def plan(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return plan_page(self, request, object_id)

    @action(description=_("Make primary"), icon="star", url_path="make-primary")
    def make_primary(self, request: HttpRequest, object_id: str) -> HttpResponse:
        account = self.get_object(request, object_id)
        changelist = reverse("admin:campaigns_emailaccount_changelist")
        if account is None or not account.is_active:
            messages.error(request, _("Only a connected account of yours can be made primary."))
            return HttpResponseRedirect(changelist)
        if not access.may_manage(request.user, account):
            messages.error(request, access.refusal(account, "make primary"))
            return HttpResponseRedirect(changelist)
        if request.method != "POST":
            return pages.confirmation(
                self,
                request,
                title=_("Make {address} the primary sender?").format(address=account.email_address),
                explanation=_(
                    "Campaigns of {agency} that name no sending account will send from it."
                ).format(agency=account.organization),
                button=_("Make primary"),
                back=changelist,
                icon="star",
            )
        account.make_primary()
        messages.success(
            request, _("{address} is now the primary sender.").format(address=account.email_address)
        )
        return HttpResponseRedirect(changelist)

    @action(description=_("Connect Gmail"), icon="add_link", url_path="connect-gmail")
    def connect_gmail(self, request: HttpRequest) -> HttpResponse:
        return pages.gmail_connect(self, request)

    @action(
        description=_("Reconnect"),
        icon="sync",
        url_path="reconnect",
        permissions=["manage_account"],
    )
    def reconnect(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return pages.gmail_reconnect(self, request, object_id)

    @action(description=_("Disconnect"), icon="link_off", url_path="disconnect")
    def disconnect(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return pages.gmail_disconnect(self, request, object_id)

    @display(
        description=_("State"),
        label={"active": "success", "reconnect": "danger", "inactive": "warning"},
    )
    def state(self, obj: EmailAccount) -> tuple[str, str]:
        if obj.needs_reconnect:
            return "reconnect", str(_("Reconnect needed"))
        return (
            ("active", str(_("Active"))) if obj.is_active else ("inactive", str(_("Disconnected")))
        )

    @display(
        description=_("Replies & bounces"),
        label={"on": "success", "off": "info", "attention": "warning"},
    )
    def replies(self, obj: EmailAccount) -> tuple[str, str]:
        if not obj.detect_replies:
            return "off", str(_("Off"))
        if obj.may_read_headers and not obj.needs_reconnect:
            return "on", str(_("On"))
        return "attention", str(_("Needs reconnecting"))

    @display(description=_("Reply and bounce detection"))
    def reply_detection(self, obj: EmailAccount) -> str:
        if not obj.detect_replies:
            return str(_("Off."))
        if obj.needs_reconnect:
            return str(_("Paused until the account is reconnected."))
        if not obj.may_read_headers:
            return obj.replies_error or str(NEEDS_PERMISSION)
        checked = obj.replies_checked_at
        said = (
            _("On, last checked {moment}.").format(
                moment=formats.date_format(timezone.localtime(checked), "SHORT_DATETIME_FORMAT")
            )
            if checked
            else _("On, not checked yet.")
        )
        if obj.replies_error:
            said += " " + _("Last check: {problem}").format(problem=obj.replies_error)
        return str(said)

    def save_model(self, request: HttpRequest, obj: EmailAccount, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.detect_replies and not obj.may_read_headers:
            messages.warning(request, NEEDS_PERMISSION)

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        # Accounts are created by connecting a mailbox (OAuth), never typed in.
        return False
