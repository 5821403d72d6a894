"""A threaded follow-up goes as "Re: " and the first email's subject: the editor, the live
preview, Preview and test, the test send, the preflight and the export say the subject it is
sent with, and a step set to go as a new email keeps its own (content/follow_ups.py)."""

import csv
import datetime
import io
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from import_export.formats import base_formats

from campaigns.content import follow_ups
from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from campaigns.outbox import claims
from campaigns.preflight import preflight_run
from campaigns.sequences import schedule
from crm.models import Lead
from tests.conftest import MONDAY_10AM_LA


@pytest.fixture
def nurture(org_a, account_a, settings, tmp_path):
    """A sequence of three steps whose subjects name the lead; Okafor in its audience."""
    settings.SANDBOX_OUTBOX_DIR = tmp_path
    EmailAccount.objects.filter(pk=account_a.pk).update(provider=EmailAccount.Provider.SANDBOX)
    campaign = Campaign.objects.create(
        organization=org_a, name="Nurture", type=Campaign.Type.SEQUENCE, email_account=account_a
    )
    for order, day, subject in [
        (1, 0, "Welcome, {{ lead.first_name }}: homes in {{ lead.city }}"),
        (2, 3, "{{ lead.city }} market update for {{ lead.first_name }}"),
        (3, 7, "A private viewing"),
    ]:
        CampaignStep.objects.create(
            campaign=campaign, order=order, offset_days=day, subject=subject, body_template="x"
        )
    Lead.objects.create(
        organization=org_a,
        name="Okafor Obi",
        first_name="Okafor",
        email="o@example.com",
        city="Pasadena",
    )
    return campaign


def run_two_steps(campaign):
    """The first step sent, then the second queued three days later."""
    with time_machine.travel(MONDAY_10AM_LA, tick=False):
        schedule.sequence_activate(campaign=campaign)
        schedule.tick()
        claims.claim_for_account(campaign.email_account)
        MessageLog.objects.update(
            status=MessageLog.Status.SENT, thread_id="t-1", sent_at=timezone.now()
        )
    with time_machine.travel(MONDAY_10AM_LA + datetime.timedelta(days=3), tick=False):
        schedule.tick()
        # The send slots run on the database's clock, which time_machine does not move.
        EmailAccount.objects.update(next_send_at=None)
        claims.claim_for_account(EmailAccount.objects.get(pk=campaign.email_account_id))
    return MessageLog.objects.get(campaign_step__order=2)


def test_a_follow_up_is_sent_as_a_reply_with_the_first_emails_subject(nurture):
    follow_up = run_two_steps(nurture)
    assert follow_up.subject == "Re: Welcome, Okafor: homes in Pasadena"
    assert follow_up.thread_id == "t-1"


def test_a_step_set_to_go_as_a_new_email_keeps_its_own_subject_and_thread(nurture):
    CampaignStep.objects.filter(campaign=nurture, order=2).update(new_thread=True)
    follow_up = run_two_steps(nurture)
    assert follow_up.subject == "Pasadena market update for Okafor"
    assert follow_up.thread_id == "" and follow_up.in_reply_to == ""


def test_the_rule_in_one_function(org_a):
    sequence = Campaign(organization=org_a, type=Campaign.Type.SEQUENCE, thread_follow_ups=True)
    first = CampaignStep(campaign=sequence, order=1)
    second = CampaignStep(campaign=sequence, order=2)
    assert follow_ups.subject_as_sent(second, first, "Own", "Welcome") == "Re: Welcome"
    assert follow_ups.subject_as_sent(second, first, "Own", "Re: Welcome") == "Re: Welcome"
    # In the campaign's language's way (content/reply_subject.py): once, never "Re: RE :".
    assert follow_ups.subject_as_sent(second, first, "Own", "RE : Bienvenue") == "RE : Bienvenue"
    assert follow_ups.subject_as_sent(first, first, "Welcome", "Welcome") == "Welcome"
    # The first email did not go: the follow-up starts its own thread, with its own subject.
    assert follow_ups.subject_as_sent(second, first, "Own", None) == "Own"
    second.new_thread = True
    assert follow_ups.subject_as_sent(second, first, "Own", "Welcome") == "Own"
    second.new_thread, sequence.thread_follow_ups = False, False
    assert follow_ups.subject_as_sent(second, first, "Own", "Welcome") == "Own"
    blast = Campaign(organization=org_a, type=Campaign.Type.BLAST, thread_follow_ups=True)
    assert not follow_ups.in_first_thread(CampaignStep(campaign=blast, order=2), first)


def live_preview(client, campaign, step_key, rows, **fields):
    data = {
        "campaign": campaign.pk,
        "type": "sequence",
        "thread_follow_ups": "1",
        "steps": json.dumps(rows),
        "step": step_key,
        "subject": next(row["subject"] for row in rows if row["key"] == step_key),
        "body_template": "<p>x</p>",
        **fields,
    }
    response = client.post(reverse("admin:campaigns_campaign_step_preview"), data)
    assert response.status_code == 200
    return response.json()


def rows_of(campaign, **changes):
    return [
        {
            "key": f"steps-{index}",
            "order": step.order,
            "is_active": True,
            "subject": step.subject,
            "new_thread": changes.get(f"new_thread_{step.order}", False),
        }
        for index, step in enumerate(campaign.steps.order_by("order"))
    ]


def test_the_live_preview_shows_the_subject_as_sent_and_says_which_steps_reply(client_a, nurture):
    answer = live_preview(client_a, nurture, "steps-1", rows_of(nurture))
    assert answer["subject"] == "Re: Welcome, Okafor: homes in Pasadena"
    assert answer["subjects"] == {
        "steps-0": {"subject": "Welcome, ‹first name›: homes in ‹city›", "threaded": False},
        "steps-1": {"subject": "Re: Welcome, ‹first name›: homes in ‹city›", "threaded": True},
        "steps-2": {"subject": "Re: Welcome, ‹first name›: homes in ‹city›", "threaded": True},
    }
    # Ticked on the page (not saved yet): the step's own subject.
    answer = live_preview(client_a, nurture, "steps-1", rows_of(nurture, new_thread_2=True))
    assert answer["subject"] == "Pasadena market update for Okafor"
    assert answer["subjects"]["steps-1"]["threaded"] is False
    # Threading turned off on the page: every step its own subject.
    answer = live_preview(client_a, nurture, "steps-1", rows_of(nurture), thread_follow_ups="")
    assert answer["subject"] == "Pasadena market update for Okafor"
    assert not any(sent["threaded"] for sent in answer["subjects"].values())


def test_preview_and_test_shows_and_sends_the_subject_as_sent(client_a, nurture, staff_a):
    step = nurture.steps.get(order=2)
    url = reverse("admin:campaigns_campaignstep_preview", args=[step.pk])
    page = client_a.get(url).content.decode()
    assert 'id="preview-subject">Re: Welcome, Okafor: homes in Pasadena</p>' in page
    assert "the subject written for this step (“‹city› market update for ‹first name›”) is not" in (
        page
    )
    staff_a.email = "alice@sunset.example"
    staff_a.save()
    client_a.post(url, {"lead": Lead.objects.get().pk})
    test = MessageLog.objects.get(is_test=True)
    assert test.subject == "Re: Welcome, Okafor: homes in Pasadena"


def test_the_preflight_says_which_subjects_threading_replaces(nurture):
    report = preflight_run(nurture)
    assert report.threaded == [
        "Step 2 · day 3 · ‹city› market update for ‹first name› goes as a reply in the first "
        "email's thread, with the subject “Re: Welcome, ‹first name›: homes in ‹city›”: the "
        "subject written for it is not used.",
        "Step 3 · day 7 · A private viewing goes as a reply in the first email's thread, with "
        "the subject “Re: Welcome, ‹first name›: homes in ‹city›”: the subject written for it "
        "is not used.",
    ]
    CampaignStep.objects.filter(campaign=nurture, order=3).update(new_thread=True)
    assert len(preflight_run(nurture).threaded) == 1


def test_the_export_gives_each_steps_subject_as_sent(client_a, nurture):
    titles = [str(f().get_title()) for f in base_formats.DEFAULT_FORMATS]
    response = client_a.post(
        reverse("admin:campaigns_campaign_export"),
        {
            "format": str(titles.index("csv")),
            "resource": "0",
            "campaignresultsresource_name": "on",
            "campaignresultsresource_subjects": "on",
        },
    )
    (row,) = csv.DictReader(io.StringIO(response.content.decode()))
    assert row["Subjects as sent"] == (
        "Step 1: Welcome, ‹first name›: homes in ‹city› | Step 2: Re: Welcome, ‹first name›: "
        "homes in ‹city› | Step 3: Re: Welcome, ‹first name›: homes in ‹city›"
    )
