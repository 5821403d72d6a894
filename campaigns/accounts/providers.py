"""Who carries a built message: the Gmail API, or the sandbox that writes .eml files (the demo
and development). One small interface, the way django-post_office plugs in its backends, so
the send path never asks which one it has."""

import contextlib
import os
import uuid
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from campaigns.accounts import gmail
from campaigns.content import mime, rendering
from campaigns.models import EmailAccount

SANDBOX_UNWRITABLE = "The sandbox's folder cannot be written ({error}): nothing was sent."


class Provider(Protocol):
    # Whether the sends are spaced under Gmail's per-user quota (a provider that calls
    # nobody is not).
    paced: bool

    def send(self, account: EmailAccount, message: bytes, thread_id: str) -> gmail.Sent:
        """Hand over the message's RFC 5322 bytes; raises gmail.GmailError when it is refused."""
        ...


class GmailProvider:
    paced = True

    def send(self, account: EmailAccount, message: bytes, thread_id: str) -> gmail.Sent:
        return gmail.send(account, mime.gmail_raw(message), thread_id=thread_id)


OUTSIDE_OUTBOX = "The sandbox's folder for this account is outside SANDBOX_OUTBOX_DIR."


def sandbox_folder(account: EmailAccount) -> Path:
    """var/outbox/<account id>/: named after the id, never the address (Django accepts
    `"../../x"@x.example`), and checked to be inside the outbox once resolved."""
    root = Path(settings.SANDBOX_OUTBOX_DIR).resolve()
    folder = (root / str(account.pk)).resolve()
    if folder.parent != root:
        raise gmail.GmailError(OUTSIDE_OUTBOX)
    return folder


class SandboxProvider:
    """Development and the demo: the message lands in var/outbox/ instead of Gmail. It is
    written to a temporary file, then renamed: a .eml file is whole or absent. A folder
    that cannot be written (a full disk) is a passing failure: nothing was sent."""

    paced = False

    def send(self, account: EmailAccount, message: bytes, thread_id: str) -> gmail.Sent:
        folder = sandbox_folder(account)
        sent = gmail.Sent(message_id=f"sandbox-{uuid.uuid4().hex}", thread_id=thread_id)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        final = folder / f"{stamp}-{sent.message_id}.eml"
        partial = final.with_suffix(".tmp")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with partial.open("wb") as file:
                file.write(message)
                file.flush()
                os.fsync(file.fileno())
            partial.rename(final)
        except OSError as error:
            with contextlib.suppress(OSError):  # the same fault may forbid this too
                partial.unlink(missing_ok=True)
            raise gmail.Unavailable(SANDBOX_UNWRITABLE.format(error=error)) from None
        return sent


PROVIDERS: dict[str, Provider] = {
    EmailAccount.Provider.GMAIL: GmailProvider(),
    EmailAccount.Provider.SANDBOX: SandboxProvider(),
}


def provider_of(account: EmailAccount) -> Provider:
    return PROVIDERS[account.provider]


def send(account: EmailAccount, message: bytes, thread_id: str = "") -> gmail.Sent:
    """Send the built message through the account's provider."""
    return provider_of(account).send(account, message, thread_id)


def connection_test(account: EmailAccount) -> gmail.Sent:
    """A short email from the account to itself, proving that sending works."""
    rendered = rendering.Rendered(
        subject="Your account is connected",
        html="<p>This account can now send campaign emails.</p>",
        text="This account can now send campaign emails.\n",
    )
    addressing = mime.Addressing(
        sender_name=account.display_name,
        sender_email=account.email_address,
        to_email=account.email_address,
        is_test=True,
    )
    return send(account, mime.build(rendered, addressing))
