"""A sending domain's check in plain words, as the account page, the home's checklist and
the launch page show it: what is missing and the record to add, and when it was checked."""

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from campaigns.accounts import domain_check
from campaigns.models import DomainCheck, EmailAccount

NEVER_CHECKED = "{domain} has not been checked yet: use “Check the domain” on this account."
CHECKED_AT = _("Checked {when}{stale}.")
STALE = " (more than a day ago: check again for today's records)"
OK_CLASS = "text-green-700 dark:text-green-400"
PROBLEM_CLASS = "text-red-600 dark:text-red-400"


def when(check: DomainCheck) -> str:
    return f"{timezone.localtime(check.checked_at):%Y-%m-%d %H:%M}"


def account_domain_html(account: EmailAccount) -> SafeString:
    if account.is_consumer_gmail:
        return format_html(
            '<p id="domain-consumer">{}</p>', domain_check.CONSUMER.format(domain=account.domain)
        )
    check = domain_check.stored_check(account)
    if check is None:
        return format_html(
            '<p id="domain-unchecked">{}</p>', NEVER_CHECKED.format(domain=account.domain)
        )
    stale = STALE if domain_check.is_stale(check) else ""
    items = format_html_join(
        "",
        '<li data-finding="{}" data-ok="{}" class="{}">{} {}{}</li>',
        (
            (
                finding["key"],
                "yes" if finding["ok"] else "no",
                OK_CLASS if finding["ok"] else PROBLEM_CLASS,
                "✓" if finding["ok"] else "✗",
                finding["text"],
                format_html(" <code>{}</code>", finding["fix"]) if finding["fix"] else "",
            )
            for finding in (domain_check.problems(check) if check.error else check.findings)
        ),
    )
    return format_html(
        '<div id="domain-check"><ul class="flex flex-col gap-1">{}</ul><p class="text-xs mt-2" '
        'id="domain-checked-at">{}</p></div>',
        items,
        CHECKED_AT.format(when=when(check), stale=stale),
    )
