"""Replies to a message sent from a lead's agent are read in the agent's mailbox: the check
of the agent's account finds them, the check of the campaign's account does not look there
(Gmail would not find another mailbox's thread)."""

from io import StringIO

from django.core.management import call_command

from campaigns.events import replies
from campaigns.launching import blasts
from campaigns.models import Campaign, MessageLog
from crm.models import Lead
from tests.conftest import connect_gmail
from tests.google_standin import METADATA_SCOPE


def test_a_reply_to_an_agents_message_is_found_in_the_agents_mailbox(
    campaign_a, org_a, staff_a, maria, google
):
    scopes = f"{google.granted_scopes} {METADATA_SCOPE}"
    shared = {"scopes": scopes, "detect_replies": True, "granted_scopes": scopes}
    primary = connect_gmail(google, staff_a, org_a, "alice@gmail.example", **shared)
    marias = connect_gmail(google, maria, org_a, "maria@gmail.example", **shared)
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=primary, send_from_agents=True)
    campaign_a.refresh_from_db()
    Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com", owner=maria)
    Lead.objects.create(organization=org_a, name="Cid", email="cid@example.com")
    blasts.campaign_launch(campaign=campaign_a)
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())
    to_ana = MessageLog.objects.get(lead__email="ana@example.com")
    assert (to_ana.status, to_ana.email_account) == (MessageLog.Status.SENT, marias)

    google.add_message(to_ana.thread_id, sender="Ana <ana@example.com>", subject="Re: Hi A")
    checked = {result.account.email_address: result for result in replies.check_replies()}
    marias_check, alices_check = checked["maria@gmail.example"], checked["alice@gmail.example"]
    assert (marias_check.threads, marias_check.replied) == (1, 1)
    assert (alices_check.threads, alices_check.replied) == (1, 0)  # Cid's thread only
    to_ana.refresh_from_db()
    assert to_ana.status == MessageLog.Status.REPLIED
    assert MessageLog.objects.get(lead__email="cid@example.com").status == MessageLog.Status.SENT
    reads_of_anas_thread = [
        read for read in google.reads if read.startswith(f"threads/{to_ana.thread_id}?")
    ]
    assert len(reads_of_anas_thread) == 1  # by Maria's check only
