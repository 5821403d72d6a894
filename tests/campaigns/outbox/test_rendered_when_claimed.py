"""Messages are rendered when they are claimed, from the step as it was launched: what is
sent is byte for byte the preview, and a lead who changed or opted out before their turn
gets what they would expect (their message as they are then, or nothing)."""

from email import message_from_bytes, policy
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from campaigns.content import mime
from campaigns.launching import blasts
from campaigns.models import CampaignStep, EmailAccount, MessageLog
from campaigns.outbox import sending
from crm.models import Lead, SuppressedAddress


@pytest.fixture
def sandbox_blast(campaign_a, account_a, settings, tmp_path):
    settings.SANDBOX_OUTBOX_DIR = tmp_path
    EmailAccount.objects.filter(pk=account_a.pk).update(provider=EmailAccount.Provider.SANDBOX)
    CampaignStep.objects.filter(campaign=campaign_a).update(
        subject="Homes in {{ lead.city }}", body_template="<p>Hi {{ lead.first_name }}</p>"
    )
    campaign_a.refresh_from_db()
    return campaign_a


def sent(tmp_path: Path, account: EmailAccount) -> list[bytes]:
    call_command("send_queued", stdout=StringIO(), stderr=StringIO())
    return [path.read_bytes() for path in sorted((tmp_path / str(account.pk)).glob("*"))]


def comparable(data: bytes) -> bytes:
    """The message without what differs between two builds: its date and the (random)
    boundary between its parts."""
    boundary = message_from_bytes(data, policy=policy.default).get_boundary().encode()
    lines = data.replace(boundary, b"BOUNDARY").split(b"\n")
    return b"\n".join(line for line in lines if not line.startswith(b"Date: "))


def test_the_bytes_sent_are_the_preview(sandbox_blast, account_a, tmp_path):
    lead = Lead.objects.create(
        organization=sandbox_blast.organization, name="Ana Souza", email="ana@x.example", city="LA"
    )
    blasts.campaign_launch(campaign=sandbox_blast)
    preview = sending.render_for(sandbox_blast.steps.get(), lead, account_a)
    [data] = sent(tmp_path, account_a)
    log = MessageLog.objects.get()
    addressing = sending.addressing_for(log, EmailAccount.objects.get(pk=account_a.pk))
    built = mime.build(preview, addressing, message_id=log.message_id)
    assert comparable(data) == comparable(built)
    assert (log.subject, log.body_html, log.body_text) == (
        preview.subject,
        preview.html,
        preview.text,
    )


def test_a_step_changed_after_the_launch_does_not_change_what_waits(
    sandbox_blast, account_a, tmp_path
):
    Lead.objects.create(organization=sandbox_blast.organization, name="Ana", email="a@x.example")
    blasts.campaign_launch(campaign=sandbox_blast)
    CampaignStep.objects.filter(campaign=sandbox_blast).update(subject="Changed since")
    [data] = sent(tmp_path, account_a)
    assert message_from_bytes(data, policy=policy.default)["Subject"] == "Homes in"


def test_a_lead_who_changed_before_their_turn_gets_it_as_they_are_then(
    sandbox_blast, account_a, tmp_path
):
    lead = Lead.objects.create(
        organization=sandbox_blast.organization, name="Ana", email="old@x.example", city="LA"
    )
    blasts.campaign_launch(campaign=sandbox_blast)
    Lead.objects.filter(pk=lead.pk).update(
        first_name="Bea", name="Bea", email="new@x.example", city="Paris"
    )
    [data] = sent(tmp_path, account_a)
    message = message_from_bytes(data, policy=policy.default)
    assert (message["To"], message["Subject"]) == ("Bea <new@x.example>", "Homes in Paris")
    assert "Hi Bea" in message.get_body(("html",)).get_content()
    assert MessageLog.objects.get().to_email == "new@x.example"


def test_a_lead_who_opted_out_before_their_turn_gets_nothing(sandbox_blast, account_a, tmp_path):
    for n in range(2):
        Lead.objects.create(
            organization=sandbox_blast.organization, name=f"L{n}", email=f"l{n}@x.example"
        )
    blasts.campaign_launch(campaign=sandbox_blast)
    SuppressedAddress.objects.create(
        organization=sandbox_blast.organization, email="l0@x.example", reason="manual"
    )
    assert len(sent(tmp_path, account_a)) == 1
    skipped = MessageLog.objects.get(to_email="l0@x.example")
    assert skipped.status == MessageLog.Status.SKIPPED and skipped.body_html == ""
