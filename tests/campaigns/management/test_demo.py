"""The demo loads through the real importer, loading it twice changes nothing, its history
keeps its dates in order, and `--reset` brings it back to its first state."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import RequestFactory

from campaigns.launching import blasts
from campaigns.management.commands.load_demo import INVALID_TO
from campaigns.models import (
    Campaign,
    CampaignStep,
    EmailAccount,
    Enrollment,
    LinkClick,
    MessageLog,
)
from crm.models import Lead, Membership, Organization, Property

# A Thursday, noon in Los Angeles: the demo is loaded at a fixed moment, so it is the same
# on every run.
THURSDAY_NOON_LA = datetime.datetime(2026, 3, 12, 20, 0, tzinfo=datetime.UTC)


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
    assert first == [2, 3, 14, 310, 8, 12, 2]
    assert "agent / agent  (agent at Sunset Realty)" in out.getvalue()
    assert "owner / owner  (owner at Sunset Realty)" in out.getvalue()
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

    from campaigns.models import Enrollment, MessageLog
    from crm.models import SuppressedAddress

    settings.SANDBOX_OUTBOX_DIR = tmp_path
    call_command("load_demo", "--force", stdout=StringIO())
    blast = Campaign.objects.get(name="Spring open house")
    blasts.campaign_launch(campaign=blast)
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


def load_demo(*options: str) -> str:
    out = StringIO()
    with time_machine.travel(THURSDAY_NOON_LA, tick=False):
        call_command("load_demo", "--force", *options, stdout=out)
    return out.getvalue()


def in_order(*moments):
    present = [moment for moment in moments if moment is not None]
    return present == sorted(present)


def test_the_demo_history_keeps_its_dates_in_order(db):
    load_demo()
    now = THURSDAY_NOON_LA
    sequence = Campaign.objects.get(name="New lead nurture")
    account = EmailAccount.objects.get(organization__slug="sunset-realty")
    assert sequence.created_at <= sequence.launched_at
    assert account.created_at <= sequence.launched_at
    messages = MessageLog.objects.select_related("lead", "campaign")
    assert messages.filter(sent_at__isnull=False).count() > 60
    for message in messages:
        assert in_order(
            message.lead.created_at,
            sequence.launched_at,
            message.created_at,
            message.claimed_at,
            message.sent_at,
            message.opened_at,
            message.clicked_at,
            message.updated_at,
            now,
        ), message
        for event in (message.replied_at, message.bounced_at, message.unsubscribed_at):
            assert event is None or in_order(message.sent_at, event, now), message
        if message.status == MessageLog.Status.FAILED:
            assert message.sent_at is None and message.claimed_at is not None
    # Clicks went through the messages' own tracked links, dated with the message's click.
    clicks = LinkClick.objects.select_related("message")
    assert clicks.count() == messages.filter(clicked_at__isnull=False).count() > 0
    for click in clicks:
        assert click.clicked_at == click.message.clicked_at and click.url in click.message.links
    for enrollment in Enrollment.objects.select_related("lead"):
        assert enrollment.created_at == enrollment.started_at
        assert in_order(enrollment.lead.created_at, sequence.launched_at, enrollment.started_at)
        assert in_order(enrollment.started_at, enrollment.next_due_at)


def test_no_demo_lead_gets_a_step_after_a_failure_a_bounce_or_a_reply(db):
    load_demo()
    ended = MessageLog.objects.filter(status__in=["failed", "bounced", "replied"])
    assert {message.status for message in ended} == {"failed", "bounced", "replied"}
    for message in ended:
        later = MessageLog.objects.filter(
            lead=message.lead_id, campaign_step__order__gt=message.campaign_step.order
        )
        assert not later.exists(), message
    for failed in ended.filter(status="failed"):
        order = failed.campaign_step.order
        enrollment = Enrollment.objects.get(lead=failed.lead_id)
        if order < 3:  # a failed last step has nothing after it to stop
            assert enrollment.stop_reason == f"step {order} could not be sent: {INVALID_TO}"
    threaded = MessageLog.objects.filter(subject__startswith="Re: Welcome")
    assert threaded.exists()
    for reply in threaded:
        first = MessageLog.objects.get(lead=reply.lead_id, campaign_step__order=1)
        assert first.sent_at is not None and reply.in_reply_to == first.message_id


def figures():
    return {
        "rows": snapshot(),
        "messages": dict(MessageLog.objects.values_list("status").annotate(Count("pk"))),
        "enrollments": dict(Enrollment.objects.values_list("state").annotate(Count("pk"))),
        "campaigns": dict(Campaign.objects.values_list("name", "status")),
    }


def test_reset_brings_the_demo_back_to_its_first_state(db, settings, tmp_path):
    settings.SANDBOX_OUTBOX_DIR = tmp_path
    load_demo()
    first = figures()
    # An agent tries things out: launches the blast, deletes leads, changes their password.
    with time_machine.travel(THURSDAY_NOON_LA + datetime.timedelta(hours=2), tick=False):
        blasts.campaign_launch(campaign=Campaign.objects.get(name="Spring open house"))
        Lead.objects.filter(email__endswith="@gmail.com")[:1].get().delete()
        agent = Membership.objects.get(user__username="agent").user
        agent.set_password("something else")
        agent.save()
        Lead.objects.create(
            organization=Organization.objects.first(), name="X", email="x@example.com"
        )
    assert figures() != first

    said = load_demo("--reset")
    assert "Deleted 2 demo agencies and the demo users." in said
    assert figures() == first
    login = RequestFactory().post("/admin/login/")
    assert authenticate(login, username="agent", password="agent") is not None


def test_the_demo_shows_a_missing_dmarc_record_and_an_expired_consent(db, client):
    """Checked three hours before it was loaded (the demo asks no DNS): Sunset Realty's
    domain lacks DMARC, which its account page and its home say with the record to add;
    one Paris lead's enquiry is older than GDPR/PECR's soft opt-in allows."""
    from django.urls import reverse

    from campaigns.models import DomainCheck
    from campaigns.preflight import preflight_run
    from crm import consent

    with time_machine.travel(THURSDAY_NOON_LA, tick=False):
        load_demo()
        check = DomainCheck.objects.get(domain="sunset-realty.example")
        assert [f["key"] for f in check.problems] == ["dmarc"]
        assert check.checked_at == THURSDAY_NOON_LA - datetime.timedelta(hours=3)
        assert DomainCheck.objects.get(domain="maison-lumiere.example").authenticated
        from django.contrib.auth.models import User

        client.force_login(User.objects.get(username="owner"))
        account = EmailAccount.objects.get(organization__slug="sunset-realty")
        page = client.get(reverse("admin:campaigns_emailaccount_change", args=[account.pk]))
        html = page.content.decode()
        assert "sunset-realty.example has no DMARC record." in html
        assert "v=DMARC1; p=none; rua=mailto:dmarc@sunset-realty.example" in html
        home = client.get(reverse("admin:index")).content.decode()
        assert "Authenticate your domain" in home and "sunset-realty.example has no DMARC" in home
        expired = [
            lead
            for lead in Lead.objects.filter(organization__slug="maison-lumiere")
            if consent.standing(lead).reason == "consent_expired"
        ]
        assert len(expired) == 1
        report = preflight_run(Campaign.objects.get(name="Nouvelles annonces à Paris"))
        skipped = {finding.key: finding.count for finding in report.skipped}
        assert skipped["skipped:consent_expired"] == 1 and skipped["skipped:no_consent"] > 0
