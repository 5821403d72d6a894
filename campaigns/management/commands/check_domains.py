"""python manage.py check_domains: read every sending domain's SPF, DKIM and DMARC from DNS
and keep what they say (cron, daily; the pages show the stored result with its time)."""

from typing import Any

from django.core.management.base import BaseCommand

from campaigns.accounts import domain_check
from campaigns.models import EmailAccount


class Command(BaseCommand):
    help = "Check the SPF, DKIM and DMARC records of every connected account's domain."

    def handle(self, *args: Any, **options: Any) -> None:
        done: set[tuple[Any, str]] = set()
        accounts = EmailAccount.objects.filter(
            is_active=True, provider=EmailAccount.Provider.GMAIL
        ).select_related("organization")
        for account in accounts.order_by("organization", "email_address"):
            key = (account.organization_id, account.domain)
            if key in done:
                continue
            done.add(key)
            check = domain_check.check_account(account)
            if check is None:
                self.stdout.write(f"{account.domain}: Google's own domain, nothing to check.")
                continue
            found = domain_check.problems(check)
            words = (
                "; ".join(p["text"] for p in found) if found else "SPF, DKIM and DMARC in place."
            )
            self.stdout.write(f"{account.organization}: {words}")
        if not done:
            self.stdout.write("No connected Gmail account.")
