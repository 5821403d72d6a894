"""A follow-up's subject in its thread: "Re: " from the campaign's catalogue, never added to
a subject that already reads as a reply in one of the languages mail programs write."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from campaigns.content.reply_subject import reply_subject
from campaigns.models import EmailAccount, MessageLog
from campaigns.outbox import claims
from campaigns.sequences import schedule
from crm.models import Lead
from tests.conftest import make_sequence

MONDAY_9AM_PARIS = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_a_subject_becomes_a_reply(language):
    assert reply_subject("Bienvenue chez nous", language) == "Re: Bienvenue chez nous"


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Hello",
        "RE : Votre recherche",
        "Réf : dossier 12",
        "RE: Su casa",
        "RV: Su casa",
        "AW: Ihr Haus",
        "Re[2]: Hello",
        " re:hello",
    ],
)
def test_a_subject_that_reads_as_a_reply_already_is_kept(subject):
    assert reply_subject(subject, "fr") == subject


def test_a_subject_that_only_starts_like_a_prefix_is_not_one():
    assert reply_subject("Rendez-vous samedi", "fr") == "Re: Rendez-vous samedi"
    assert reply_subject("Reserve your visit: Saturday", "en") == "Re: Reserve your visit: Saturday"


def test_a_french_sequence_threads_its_follow_ups(org_b, account_b, settings, tmp_path):
    settings.SANDBOX_OUTBOX_DIR = tmp_path
    org_b.language, org_b.country, org_b.currency = "fr", "FR", "EUR"
    org_b.save()
    EmailAccount.objects.filter(pk=account_b.pk).update(provider=EmailAccount.Provider.SANDBOX)
    account_b.refresh_from_db()
    sequence = make_sequence(org_b, account_b)
    sequence.steps.filter(order=1).update(subject="RE : votre recherche à Paris")
    Lead.objects.create(
        organization=org_b, name="Léa Moreau", email="lea@example.com", consent_basis="express"
    )
    with time_machine.travel(MONDAY_9AM_PARIS, tick=False):
        schedule.sequence_activate(campaign=sequence)
    with time_machine.travel(MONDAY_9AM_PARIS + datetime.timedelta(hours=1), tick=False):
        schedule.tick()
        claims.claim_for_account(account_b)
        MessageLog.objects.update(
            status=MessageLog.Status.SENT, thread_id="fil-1", sent_at=timezone.now()
        )
    with time_machine.travel(MONDAY_9AM_PARIS + datetime.timedelta(days=3, hours=1), tick=False):
        schedule.tick()
    first, follow_up = MessageLog.objects.order_by("campaign_step__order")
    assert follow_up.thread_id == "fil-1" and follow_up.in_reply_to == first.message_id
    assert follow_up.subject == "RE : votre recherche à Paris"
