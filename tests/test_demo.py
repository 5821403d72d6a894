"""The demo loads through the real importer, and loading it twice changes nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Campaign, CampaignStep, EmailAccount
from crm.models import Lead, Membership, Organization, Property


def snapshot():
    return [
        model.objects.count()
        for model in (
            Organization,
            Membership,
            Property,
            Lead,
            Campaign,
            CampaignStep,
            EmailAccount,
        )
    ]


def test_the_demo_refuses_to_run_in_production_mode(db):
    with pytest.raises(CommandError, match="well-known passwords"):
        call_command("load_demo")


def test_the_demo_loads_and_is_idempotent(db):
    out = StringIO()
    call_command("load_demo", "--force", stdout=out)
    first = snapshot()
    assert first == [2, 2, 12, 310, 2, 4, 1]
    assert "agent / agent  (staff of Sunset Realty)" in out.getvalue()
    assert Lead.objects.filter(property__isnull=False).exists()
    call_command("load_demo", "--force", stdout=StringIO())
    assert snapshot() == first
    assert Campaign.objects.get(name="New lead nurture").status == Campaign.Status.ACTIVE


def test_a_demo_message_unsubscribes_end_to_end(db, settings, tmp_path):
    """Launch the demo's blast, let the sender write the messages, then use the one-click
    List-Unsubscribe of one of them as a mail client would: no cookie, no login."""
    from email import message_from_bytes, policy
    from urllib.parse import urlsplit

    from django.test import Client

    from campaigns import dispatch
    from campaigns.models import Enrollment, MessageLog
    from crm.models import SuppressedAddress

    settings.SANDBOX_OUTBOX_DIR = tmp_path
    call_command("load_demo", "--force", stdout=StringIO())
    blast = Campaign.objects.get(name="Spring open house")
    dispatch.campaign_launch(campaign=blast)
    call_command("send_queued", "--limit", "3", stdout=StringIO(), stderr=StringIO())
    written = sorted(tmp_path.rglob("*.eml"))
    assert len(written) == 3
    message = message_from_bytes(written[0].read_bytes(), policy=policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(message["List-Unsubscribe"]).strip("<>").split(">")[0]
    to = message["To"].addresses[0].addr_spec
    lead = Lead.objects.get(email__iexact=to, organization=blast.organization)

    response = Client(enforce_csrf_checks=True).post(
        urlsplit(link).path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.unsubscribed_at is not None
    assert SuppressedAddress.objects.filter(organization=lead.organization, email=to).exists()
    assert not Enrollment.objects.filter(lead=lead, state=Enrollment.State.ACTIVE).exists()
    sent = MessageLog.objects.get(campaign=blast, lead=lead)
    assert sent.status == MessageLog.Status.UNSUBSCRIBED
