"""Every opt-out by email is honoured where the account reads replies: a reply whose
subject or first sentence asks to unsubscribe, or the email a mail app sends to the
List-Unsubscribe mailto: address, unsubscribes the lead within one check. Where the
account does not read replies, the header offers no mailto: at all. Through the Gmail
stand-in and the real MIME bytes."""

from email import message_from_bytes, policy
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from campaigns.launching import blasts
from campaigns.models import Campaign, MessageLog
from campaigns.reporting.timeline import lead_timeline
from crm.models import Lead, SuppressedAddress
from tests.conftest import MONDAY_10AM_LA

Status = MessageLog.Status


def check() -> str:
    out = StringIO()
    call_command("check_replies", stdout=out)
    return out.getvalue()


def sent_headers(google, index=-1):
    return message_from_bytes(google.sent_raw[index], policy=policy.default)


def test_an_account_that_reads_replies_offers_the_mailto(sent, google):
    header = sent_headers(google)["List-Unsubscribe"]
    assert header.startswith("<http://127.0.0.1:8000/u/")
    assert header.endswith(", <mailto:alice@gmail.example?subject=unsubscribe>")


def test_an_account_that_does_not_read_replies_offers_only_the_https_link(
    campaign_a, gmail_account, lead_a, google
):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    blasts.campaign_launch(campaign=campaign_a)
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())
    message = sent_headers(google)
    assert "mailto:" not in message["List-Unsubscribe"]
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    ("subject", "snippet"),
    [
        ("Re: Hi A", "Please remove me from your list. On Mon, Mar 2, 2026 Alice wrote: Hi"),
        ("unsubscribe", ""),
        ("Re: Hi A", "Me désabonner, merci. Le lun. 2 mars 2026, Alice a écrit :"),
        ("Re: Hi A", "Darme de baja por favor"),
        ("Re: Hi A", "STOP"),
    ],
)
def test_a_reply_that_asks_to_unsubscribe_unsubscribes_the_lead(sent, google, subject, snippet):
    google.add_message(
        sent.thread_id, sender="Ana <ana@example.com>", subject=subject, snippet=snippet
    )
    with time_machine.travel(MONDAY_10AM_LA):
        assert "1 unsubscribed by email" in check()
    lead = Lead.objects.get(pk=sent.lead_id)
    assert lead.unsubscribed_at is not None
    sent.refresh_from_db()
    assert sent.unsubscribed_at is not None and sent.replied_at is not None
    assert MessageLog.objects.filter(campaign=sent.campaign).funnel("unsubscribed") == {
        "unsubscribed": 1
    }
    entry = SuppressedAddress.objects.get(email="ana@example.com")
    assert entry.detail.startswith("by email: “")


def test_a_reply_that_does_not_ask_stays_a_reply(sent, google):
    google.add_message(
        sent.thread_id,
        sender="Ana <ana@example.com>",
        subject="Re: Hi A",
        snippet="Yes, please stop by on Thursday. I don't want to unsubscribe.",
    )
    with time_machine.travel(MONDAY_10AM_LA):
        assert check() == "alice@gmail.example: 2 threads read, 1 replied, 0 bounced.\n"
    assert Lead.objects.get(pk=sent.lead_id).unsubscribed_at is None


def test_the_mailto_email_of_a_mail_app_unsubscribes_the_lead_within_one_check(sent, google):
    with time_machine.travel(MONDAY_10AM_LA):
        check()  # the first check starts the history
        google.start_conversation(sender="ana@example.com", subject="unsubscribe")
        google.start_conversation(sender="stranger@example.com", subject="unsubscribe")
        google.start_conversation(sender="carl@example.com", subject="Question about the loft")
        assert "1 unsubscribed by email" in check()
    assert list(
        Lead.objects.filter(unsubscribed_at__isnull=False).values_list("email", flat=True)
    ) == ["ana@example.com"]
    sent.refresh_from_db()
    assert sent.status == Status.UNSUBSCRIBED  # counted against what Ana was sent
    reads = [read.split("?")[0] for read in google.reads if read.startswith("messages/")]
    assert len(reads) == 3 and not google.problems  # headers only, no body


def test_the_timeline_says_how_the_lead_asked(sent, google):
    google.add_message(
        sent.thread_id, sender="ana@example.com", subject="Re: Hi A", snippet="Remove me please"
    )
    with time_machine.travel(MONDAY_10AM_LA):
        check()
    events = [
        e for e in lead_timeline(Lead.objects.get(pk=sent.lead_id)) if e.kind == "unsubscribed"
    ]
    assert len(events) == 1
    assert events[0].detail == "By email: “Remove me please”"
