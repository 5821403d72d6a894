"""Send later takes a date and a time as the page's language writes them ("12/25/2026",
"9:00 AM" in English; "25/12/2026", "9h30" in French), with the admin's calendar and clock
beside the inputs, and the launch button says Schedule once a date is chosen."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Dispatch
from crm.models import Lead, StaffPreferences

LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.fixture
def blast(campaign_a, org_a):
    Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com")
    return campaign_a


def launch_url(campaign) -> str:
    return reverse("admin:campaigns_campaign_launch", args=[campaign.pk])


def next_year() -> int:
    return timezone.now().astimezone(LOS_ANGELES).year + 1


def scheduled_at(campaign) -> datetime.datetime:
    return Dispatch.objects.get(campaign=campaign).send_after.astimezone(LOS_ANGELES)


def test_an_english_page_takes_a_us_date_and_nine_am(client_a, blast):
    year = next_year()
    response = client_a.post(
        launch_url(blast), {"send_at_0": f"12/25/{year}", "send_at_1": "9:00 AM"}
    )
    assert response.status_code == 302
    assert scheduled_at(blast) == datetime.datetime(year, 12, 25, 9, 0, tzinfo=LOS_ANGELES)


def test_an_english_page_takes_nine_pm_written_shortly(client_a, blast):
    year = next_year()
    client_a.post(launch_url(blast), {"send_at_0": f"{year}-03-02", "send_at_1": "9pm"})
    assert scheduled_at(blast) == datetime.datetime(year, 3, 2, 21, 0, tzinfo=LOS_ANGELES)


def test_a_french_page_takes_the_day_first_and_nine_thirty_written_9h30(client_a, blast, staff_a):
    StaffPreferences.objects.create(user=staff_a, language="fr")
    year = next_year()
    response = client_a.post(launch_url(blast), {"send_at_0": f"05/01/{year}", "send_at_1": "9h30"})
    assert response.status_code == 302
    assert scheduled_at(blast) == datetime.datetime(year, 1, 5, 9, 30, tzinfo=LOS_ANGELES)


def test_a_time_no_language_writes_is_refused_in_the_pages_language(client_a, blast, staff_a):
    StaffPreferences.objects.create(user=staff_a, language="fr")
    response = client_a.post(
        launch_url(blast), {"send_at_0": f"05/01/{next_year()}", "send_at_1": "half past nine"}
    )
    assert response.status_code == 200
    assert "Saisissez une heure valide." in response.content.decode()
    assert not Dispatch.objects.exists()


def test_the_page_has_the_calendar_and_clock_and_a_button_that_can_say_schedule(
    client_a, blast, staff_a
):
    StaffPreferences.objects.create(user=staff_a, language="fr")
    page = client_a.get(launch_url(blast)).content.decode()
    for script in (
        reverse("admin:jsi18n"),
        "admin/js/core.js",
        "admin/js/calendar.js",
        "admin/js/admin/DateTimeShortcuts.js",
        "campaigns/launch_schedule.js",
    ):
        assert script in page
    assert (
        '<span id="launch-label" data-now="Lancer maintenant" data-later="Programmer">'
        "Lancer maintenant</span>" in page
    )
