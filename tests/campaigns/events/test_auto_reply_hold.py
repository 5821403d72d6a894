"""Out-of-office answers hold the lead's sequence instead of stopping it; real replies stop
it. The answers are served by the Gmail stand-in, headers only, as Gmail serves them."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from campaigns.events.auto_replies import auto_reply_summary
from campaigns.models import STOPPED_REPLIED, AutoReply, Campaign, Enrollment, MessageLog
from tests.campaigns.events.test_replies import check

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
# `sent` runs at Monday 2 March 2026, 10:00 in Los Angeles; step 2 is due on Thursday.
STEP_2_DUE = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=LA)
A_WEEK_LATER = datetime.datetime(2026, 3, 9, 10, 0, tzinfo=LA)
AUTOMATIC = [
    pytest.param({"Auto-Submitted": "auto-replied"}, "Re: Hi A", id="auto-submitted"),
    pytest.param({"Auto-Submitted": "auto-generated"}, "Re: Hi A", id="auto-generated"),
    pytest.param({"X-Autoreply": "yes"}, "Re: Hi A", id="x-autoreply"),
    pytest.param({"X-Autorespond": "Out of office"}, "Re: Hi A", id="x-autorespond"),
    pytest.param({"Precedence": "auto_reply"}, "Re: Hi A", id="precedence"),
    pytest.param({}, "Out of Office: Hi A", id="english-subject"),
    pytest.param({}, "Automatic reply: Hi A", id="outlook-subject"),
    pytest.param({}, "Réponse automatique : Hi A", id="french-subject"),
    pytest.param({}, "Absent", id="absent"),
]


def enrollment_of(message: MessageLog) -> Enrollment:
    return Enrollment.objects.get(lead=message.lead_id)


def due_of(message: MessageLog) -> datetime.datetime:
    """The lead's next due time, to the minute (the frozen clock still ticks)."""
    return enrollment_of(message).next_due_at.replace(second=0, microsecond=0)


@pytest.mark.parametrize(("headers", "subject"), AUTOMATIC)
def test_an_automatic_answer_holds_the_next_step_a_week_and_does_not_stop(
    sent, google, headers, subject
):
    assert due_of(sent) == STEP_2_DUE
    google.add_message(sent.thread_id, sender="ana@example.com", subject=subject, headers=headers)
    assert "0 replied, 0 bounced, 1 auto-reply held" in check()
    enrollment = enrollment_of(sent)
    assert enrollment.state == Enrollment.State.ACTIVE
    assert due_of(sent) == A_WEEK_LATER
    sent.refresh_from_db()
    assert sent.status == MessageLog.Status.SENT and not sent.replied_at
    auto_reply = AutoReply.objects.get()
    assert (auto_reply.message_log, auto_reply.subject) == (sent, subject)
    assert auto_reply.held_until == enrollment.next_due_at and auto_reply.return_date is None


def test_a_real_reply_still_stops_the_sequence_even_after_an_auto_reply(sent, google):
    google.add_message(sent.thread_id, sender="ana@example.com", subject="Out of office")
    check()
    google.add_message(
        sent.thread_id,
        sender="ana@example.com",
        subject="Re: Hi A",
        headers={"Auto-Submitted": "no"},
    )
    assert "1 replied" in check()
    enrollment = enrollment_of(sent)
    assert enrollment.state == Enrollment.State.STOPPED
    assert enrollment.stop_reason == STOPPED_REPLIED


def test_the_return_date_in_the_subject_sets_the_hold(sent, google):
    # Back on Saturday 21 March: the step goes at the next opening, Monday 09:00.
    google.add_message(sent.thread_id, sender="ana@example.com", subject="Out of office until 3/20")
    check()
    assert due_of(sent) == datetime.datetime(2026, 3, 23, 9, 0, tzinfo=LA)
    assert AutoReply.objects.get().return_date == datetime.date(2026, 3, 21)


def test_the_hold_follows_the_campaigns_setting(sent, google):
    Campaign.objects.filter(pk=sent.campaign_id).update(auto_reply_hold_days=14)
    google.add_message(sent.thread_id, sender="ana@example.com", subject="Auto: Hi A")
    check()
    assert due_of(sent) == datetime.datetime(2026, 3, 16, 10, 0, tzinfo=LA)


def test_a_far_return_date_is_capped_at_sixty_days(sent, google):
    google.add_message(
        sent.thread_id, sender="ana@example.com", subject="Out of office, back on 2026-12-01"
    )
    check()
    assert due_of(sent) == datetime.datetime(2026, 5, 1, 10, 0, tzinfo=LA)
    summary = auto_reply_summary(AutoReply.objects.get())
    assert "(back on Tue 1 Dec 2026, says its subject)" in summary
    assert summary.endswith("(America/Los_Angeles, 60 days at most).")


def test_a_past_return_date_falls_back_to_the_default_hold(sent, google):
    google.add_message(
        sent.thread_id, sender="ana@example.com", subject="Out of office until 2026-02-20"
    )
    check()
    assert due_of(sent) == A_WEEK_LATER
    assert AutoReply.objects.get().return_date is None


def test_an_answer_read_twice_holds_once(sent, google):
    google.add_message(sent.thread_id, sender="ana@example.com", subject="Out of office")
    check()
    google.history_forgotten_before = google.history_id + 1  # the next check reads it again
    assert "held" not in check()
    assert AutoReply.objects.count() == 1
    assert due_of(sent) == A_WEEK_LATER


def test_an_automatic_answer_from_someone_else_holds_nothing(sent, google):
    google.add_message(sent.thread_id, sender="assistant@example.com", subject="Out of office")
    check()
    assert not AutoReply.objects.exists()
    assert due_of(sent) == STEP_2_DUE


def test_the_leads_page_shows_the_hold(sent, google, client_a):
    google.add_message(
        sent.thread_id, sender="ana@example.com", subject="Out of office", headers={}
    )
    check()
    page = client_a.get(reverse("admin:crm_lead_change", args=[sent.lead_id])).content.decode()
    assert "Auto-replies (out of office)" in page
    expected = "next step held until Mon 9 Mar 2026, 10:00 (America/Los_Angeles)."
    assert expected in page


def test_a_hold_shorter_than_the_wait_moves_nothing(sent, google):
    Campaign.objects.filter(pk=sent.campaign_id).update(auto_reply_hold_days=1)
    google.add_message(sent.thread_id, sender="ana@example.com", subject="Out of office")
    check()
    assert due_of(sent) == STEP_2_DUE


def test_an_auto_reply_with_no_step_waiting_is_recorded_and_holds_nothing(sent, google):
    Enrollment.objects.update(state=Enrollment.State.COMPLETED, next_due_at=None)
    google.add_message(sent.thread_id, sender="ana@example.com", subject="Out of office")
    check()
    auto_reply = AutoReply.objects.get()
    assert auto_reply.held_until is None
    assert auto_reply_summary(auto_reply) == (
        "Auto-reply received on Mon 2 Mar 2026, 10:00: no sequence step was waiting, nothing held."
    )


def test_bulk_mail_from_the_lead_is_neither_a_reply_nor_an_auto_reply(sent, google):
    google.add_message(
        sent.thread_id,
        sender="ana@example.com",
        subject="Newsletter",
        headers={"Precedence": "bulk"},
    )
    assert "0 replied, 0 bounced." in check()
    assert not AutoReply.objects.exists()
    assert enrollment_of(sent).state == Enrollment.State.ACTIVE
