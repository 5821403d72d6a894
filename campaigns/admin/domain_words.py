"""A sending domain's check in plain words, as the account page, the home's checklist and
the launch page show it: what is missing and the record to add, and when it was checked."""

from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from campaigns.accounts import domain_check
from campaigns.models import DomainCheck, EmailAccount

NEVER_CHECKED = _("{domain} has not been checked yet: use “Check the domain” on this account.")
CHECKED_AT = _("Checked {when}.")
CHECKED_AT_STALE = _("Checked {when} (more than a day ago: check again for today's records).")
OK_CLASS = "text-green-700 dark:text-green-400"
PROBLEM_CLASS = "text-red-600 dark:text-red-400"


def when(check: DomainCheck) -> str:
    return formats.date_format(timezone.localtime(check.checked_at), "DATETIME_FORMAT")


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
    shown = domain_check.problems(check) if check.error else domain_check.findings(check)
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
            for finding in shown
        ),
    )
    return format_html(
        '<div id="domain-check"><ul class="flex flex-col gap-1">{}</ul><p class="text-xs mt-2" '
        'id="domain-checked-at">{}</p></div>',
        items,
        (CHECKED_AT_STALE if domain_check.is_stale(check) else CHECKED_AT).format(when=when(check)),
    )
