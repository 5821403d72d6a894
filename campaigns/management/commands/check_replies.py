"""python manage.py check_replies [--account ID]: read replies and bounces from Gmail (cron)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.events import replies


class Command(BaseCommand):
    help = (
        "For accounts with reply and bounce detection on, read the headers of the threads "
        "of recent messages and mark replies and bounces."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", help="Check this account only (its id).")

    def handle(self, *args: Any, account: str | None, **options: Any) -> None:
        accounts = replies.accounts_to_check()
        if account:
            try:
                accounts = accounts.filter(pk=account)
            except ValidationError:
                raise CommandError(f"“{account}” is not an account id.") from None
            if not accounts.exists():
                raise CommandError("No active account with reply detection on has this id.")
        checked = replies.check_replies(accounts)
        for result in checked:
            self.stdout.write(str(result))
        if not checked:
            self.stdout.write("No account has reply and bounce detection on.")
