"""Dates and times read one way in each language, on a list, a detail page and in a form,
and the inputs take what people of that language type ("9:00 AM" in English)."""

import datetime

import pytest
from django import forms
from django.urls import reverse
from django.utils import formats, translation
from unfold.widgets import UnfoldAdminSplitDateTimeWidget

from campaigns.models import MessageLog
from crm.models import StaffPreferences
from crm.site.timezones import local_date

# 13:31 in Los Angeles (org_a's zone) on a winter day.
AFTERNOON_UTC = datetime.datetime(2026, 1, 5, 21, 31, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("language", "typed", "read"),
    [
        ("en", "9:00 AM", datetime.time(9, 0)),
        ("en", "9:00 pm", datetime.time(21, 0)),
        ("en", "9 PM", datetime.time(21, 0)),
        ("en", "9am", datetime.time(9, 0)),
        ("en", "13:31", datetime.time(13, 31)),
        ("fr", "13:31", datetime.time(13, 31)),
        ("fr", "9h30", datetime.time(9, 30)),
        ("fr", "9 h", datetime.time(9, 0)),
        ("es", "13:31", datetime.time(13, 31)),
        ("es", "13.31", datetime.time(13, 31)),
    ],
)
def test_a_time_input_reads_what_people_type_in_their_language(language, typed, read):
    with translation.override(language):
        assert forms.TimeField().clean(typed) == read


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "Jan. 5, 2026, 1:31 PM"), ("fr", "5 janvier 2026 13:31"), ("es", "13:31")],
)
def test_a_moment_is_written_with_the_clock_of_its_language(language, written):
    with translation.override(language):
        text = formats.date_format(datetime.datetime(2026, 1, 5, 13, 31), "DATETIME_FORMAT")
    assert written in text


@pytest.mark.parametrize(
    ("language", "shown"), [("en", "01:31 PM"), ("fr", "13:31"), ("es", "13:31")]
)
def test_a_time_input_shows_the_clock_the_lists_use(language, shown):
    widget = UnfoldAdminSplitDateTimeWidget()
    with translation.override(language):
        html = widget.render("send_at", datetime.datetime(2026, 1, 5, 13, 31))
    assert f'value="{shown}"' in html


def test_a_list_and_a_detail_page_write_a_time_alike(client_a, message_a):
    MessageLog.objects.filter(pk=message_a.pk).update(
        status=MessageLog.Status.SENT, sent_at=AFTERNOON_UTC
    )
    listed = client_a.get(reverse("admin:campaigns_messagelog_changelist")).content.decode()
    detail = client_a.get(
        reverse("admin:campaigns_messagelog_change", args=[message_a.pk])
    ).content.decode()
    assert "Jan. 5, 2026, 1:31 PM" in listed
    assert "Jan. 5, 2026, 1:31 PM" in detail
    assert "p.m." not in listed + detail and "13:31" not in listed + detail


@pytest.mark.parametrize(
    ("language", "typed", "day"),
    [
        ("fr", "05/01/2026", datetime.date(2026, 1, 5)),
        ("fr", "25/01/2026", datetime.date(2026, 1, 25)),
        ("es", "05/01/2026", datetime.date(2026, 1, 5)),
        ("en", "01/05/2026", datetime.date(2026, 1, 5)),
        ("en", "2026-01-05", datetime.date(2026, 1, 5)),
        ("fr", "not a day", None),
    ],
)
def test_a_date_filter_reads_the_day_as_its_language_writes_it(language, typed, day):
    with translation.override(language):
        assert local_date(typed) == day


def test_the_message_logs_date_filter_in_french_keeps_the_day_the_calendar_wrote(
    client_a, message_a, staff_a
):
    """The calendar of a French page writes 05/01/2026 for 5 January; unfold's parser read it
    as 1 May (and 25/01/2026 as nothing)."""
    StaffPreferences.objects.create(user=staff_a, language="fr")
    MessageLog.objects.filter(pk=message_a.pk).update(
        status=MessageLog.Status.SENT, sent_at=AFTERNOON_UTC
    )
    url = reverse("admin:campaigns_messagelog_changelist")
    on_the_day = client_a.get(url, {"sent_at_from": "05/01/2026", "sent_at_to": "05/01/2026"})
    assert list(on_the_day.context["cl"].result_list) == [message_a]
    later = client_a.get(url, {"sent_at_from": "06/01/2026", "sent_at_to": "25/01/2026"})
    assert list(later.context["cl"].result_list) == []
