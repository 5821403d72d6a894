"""The sandbox writes a whole .eml or none: a folder that cannot be written (a full disk,
here a file where the folder should be) puts the message back and rests the account, and
once it can write again the message goes, once."""

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, EmailAccount, MessageLog

Status = MessageLog.Status


def test_a_sandbox_that_cannot_write_puts_the_message_back_and_sends_it_later(
    sandbox_account, campaign_a, lead_a, settings
):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=sandbox_account)
    campaign_a.refresh_from_db()
    outbox = settings.SANDBOX_OUTBOX_DIR
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_text("not a folder")  # every write under it fails, as on a full disk
    blasts.campaign_launch(campaign=campaign_a)
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())
    message = MessageLog.objects.get()
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert "The sandbox's folder cannot be written" in message.error_message
    assert EmailAccount.objects.get(pk=sandbox_account.pk).paused_until > timezone.now()

    outbox.unlink()  # space again
    EmailAccount.objects.filter(pk=sandbox_account.pk).update(paused_until=None)
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())
    assert MessageLog.objects.get().status == Status.SENT
    files = list(outbox.rglob("*"))
    assert [path.suffix for path in files if path.is_file()] == [".eml"]
