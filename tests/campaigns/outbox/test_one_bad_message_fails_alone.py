"""One bad message fails alone (issue 24 §2): an address with an international domain is
sent with its domain in IDNA form; an address that no message can carry fails that message,
with the reason, while the rest of the batch goes out and the sender goes on. Through n8n,
the claim builds its messages before it answers, so no error strands a batch in `sending`."""

import base64
import email
from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.launching import blasts
from campaigns.models import Campaign, MessageLog
from campaigns.outbox import sending
from crm.email_addresses import NOT_ASCII_LOCAL_PART
from crm.models import Lead
from tests.campaigns.conftest import claim_url, n8n_dispatch, signed_call

Status = MessageLog.Status
IDN = "idn@bücher.example"
NO_IDNA_FORM = "snow@a☃.example"  # U+2603 has no IDNA form; Django's EmailField takes it


def launched(campaign, addresses):
    """The blast launched to one lead per address (made without validation, as rows
    imported before the import checked them)."""
    for n, address in enumerate(addresses):
        Lead.objects.create(organization=campaign.organization, name=f"Lead {n}", email=address)
    return blasts.campaign_launch(campaign=campaign)


def drain():
    out = StringIO()
    call_command("send_queued", stdout=out, stderr=StringIO())
    return out.getvalue()


def outcome():
    return dict(MessageLog.objects.values_list("to_email", "status"))


@pytest.fixture
def direct_blast(campaign_a, gmail_account):
    Campaign.objects.filter(pk=campaign_a.pk).update(email_account=gmail_account)
    campaign_a.refresh_from_db()
    return campaign_a


def test_an_international_domain_is_sent_in_its_idna_form(direct_blast, google):
    launched(direct_blast, ["first@example.com", IDN, "last@example.com"])
    assert "Handled 3 messages: 3 sent." in drain()
    assert set(outcome().values()) == {Status.SENT}
    recipients = sorted(message["To"] for message in google.sent)
    assert "Lead 1 <idn@xn--bcher-kva.example>" in recipients


@pytest.mark.parametrize(
    "address, reason",
    [(NO_IDNA_FORM, "cannot be written for email (IDNA)"), ("jürgen@example.com", None)],
)
def test_an_address_no_message_can_carry_fails_alone_and_the_sender_goes_on(
    direct_blast, google, address, reason
):
    launched(direct_blast, ["first@example.com", address, "last@example.com"])
    summary = drain()
    assert "Handled 2 messages: 2 sent." in summary
    assert outcome() == {
        "first@example.com": Status.SENT,
        address: Status.FAILED,
        "last@example.com": Status.SENT,
    }
    failed = MessageLog.objects.get(to_email=address)
    assert failed.error_message.startswith("This message cannot be addressed:")
    assert (reason or NOT_ASCII_LOCAL_PART) in failed.error_message
    assert len(google.sent) == 2


def test_a_reply_to_without_an_idna_form_fails_each_message_with_the_reason(
    direct_blast, gmail_account, google
):
    gmail_account.reply_to = NO_IDNA_FORM
    gmail_account.save()
    launched(direct_blast, ["first@example.com", "last@example.com"])
    drain()
    assert set(outcome().values()) == {Status.FAILED}
    assert all(
        "cannot be written for email" in error
        for error in MessageLog.objects.values_list("error_message", flat=True)
    )
    assert google.sent == []


@pytest.mark.usefixtures("n8n_secret")
def test_an_n8n_claim_hands_out_the_good_messages_and_fails_the_bad_one(campaign_a):
    Lead.objects.create(organization=campaign_a.organization, name="Snow", email=NO_IDNA_FORM)
    Lead.objects.create(organization=campaign_a.organization, name="Idn", email=IDN)
    dispatch = n8n_dispatch(campaign_a, 2)  # two more leads, and the four queued for n8n
    answer = signed_call(claim_url(dispatch), {"limit": 10})
    assert answer.status_code == 200
    batch = answer.json()["messages"]
    assert len(batch) == 3
    built = [email.message_from_bytes(base64.urlsafe_b64decode(m["raw"])) for m in batch]
    assert "Idn <idn@xn--bcher-kva.example>" in [message["To"] for message in built]
    snow = MessageLog.objects.get(to_email=NO_IDNA_FORM)
    assert snow.status == Status.FAILED
    assert "cannot be written for email (IDNA)" in snow.error_message
    # Nothing else waits in `sending` but what n8n was handed.
    sending_now = set(MessageLog.objects.filter(status=Status.SENDING).values_list("pk", flat=True))
    assert {str(pk) for pk in sending_now} == {m["message_log_id"] for m in batch}


def test_a_test_send_to_an_address_without_an_idna_form_fails_with_the_reason(
    campaign_a, lead_a, gmail_account, google
):
    log = sending.test_send(
        step=campaign_a.steps.get(), lead=lead_a, account=gmail_account, to_email=NO_IDNA_FORM
    )
    assert log.status == Status.FAILED
    assert "cannot be written for email (IDNA)" in log.error_message
