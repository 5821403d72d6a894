"""Every time in the admin is shown in the agency's zone, named once in the page header;
a superuser sees their own membership's zone, or the server's."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.audiences import audience
from campaigns.launching import blasts
from campaigns.models import Campaign, Enrollment, MessageLog
from crm.models import Lead, Membership
from tests.conftest import logged_in

# 17:00 UTC on a winter day is 09:00 in Los Angeles (PST) and 18:00 in Paris (CET).
FIVE_PM_UTC = datetime.datetime(2025, 12, 3, 17, 0, tzinfo=datetime.UTC)
Status = MessageLog.Status


@pytest.fixture
def at_five_pm_utc():
    # Frozen in winter too: the zone's abbreviation (PST, PDT) is today's.
    with time_machine.travel(FIVE_PM_UTC, tick=False):
        yield


def failed_at_five(message):
    MessageLog.objects.filter(pk=message.pk).update(
        status=Status.FAILED, error_message="Invalid To header", updated_at=FIVE_PM_UTC
    )


def sent_at_five(message):
    MessageLog.objects.filter(pk=message.pk).update(status=Status.SENT, sent_at=FIVE_PM_UTC)


def zone_named(page: str) -> str:
    """The header's note, as a person reads it."""
    note = re.search(r'id="time-zone"[^>]*>(.*?)</span>\s*</span>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", note[1]).split()) if note else ""


def test_the_message_log_shows_times_in_the_agencys_zone_and_names_it(
    client_a, message_a, at_five_pm_utc
):
    sent_at_five(message_a)
    page = client_a.get(reverse("admin:campaigns_messagelog_changelist")).content.decode()
    assert zone_named(page) == "Times in America/Los_Angeles (PST)"
    assert page.count('id="time-zone"') == 1
    assert "Dec. 3, 2025, 9 a.m." in page
    # Not the UTC hour (a bare "5 p.m.", not the end of a time like "3:35 p.m." read now).
    assert not re.search(r"(?<![\d:])5 p\.m\.", page)


def test_a_message_page_shows_its_times_in_the_agencys_zone(client_a, message_a):
    sent_at_five(message_a)
    url = reverse("admin:campaigns_messagelog_change", args=[message_a.pk])
    assert "Dec. 3, 2025, 9 a.m." in client_a.get(url).content.decode()


def test_enrollments_are_due_at_the_agencys_time(client_a, campaign_a, lead_a):
    Enrollment.objects.create(
        organization=campaign_a.organization,
        campaign=campaign_a,
        lead=lead_a,
        started_at=FIVE_PM_UTC,
        next_due_at=FIVE_PM_UTC,
    )
    page = client_a.get(reverse("admin:campaigns_enrollment_changelist")).content.decode()
    assert page.count("Dec. 3, 2025, 9 a.m.") == 2  # next due, started


def test_the_home_shows_its_as_of_time_and_failures_in_the_agencys_zone(
    client_a, message_a, at_five_pm_utc
):
    failed_at_five(message_a)
    page = client_a.get(reverse("admin:index")).content.decode()
    assert "as of 09:00" in page
    assert "Dec 3, 09:00" in page  # the latest failure
    assert "17:00" not in page


def test_the_launch_page_estimates_the_finish_in_the_agencys_zone(
    client_a, campaign_a, lead_a, at_five_pm_utc
):
    page = client_a.get(reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk]))
    text = page.content.decode()
    assert "(UTC)" not in text
    assert '<span id="plan-finish">Dec 3, 2025, 09:00</span>' in text
    assert zone_named(text) == "Times in America/Los_Angeles (PST)"


def test_the_campaign_page_says_when_it_was_launched_in_the_agencys_zone(
    client_a, campaign_a, lead_a, at_five_pm_utc
):
    blasts.campaign_launch(campaign=campaign_a)
    page = client_a.get(reverse("admin:campaigns_campaign_change", args=[campaign_a.pk]))
    assert "launched on Dec 3, 2025, 09:00" in page.content.decode()


def test_each_agency_sees_its_own_zone(client_b, message_b, at_five_pm_utc):
    sent_at_five(message_b)
    page = client_b.get(reverse("admin:campaigns_messagelog_changelist")).content.decode()
    assert zone_named(page) == "Times in Europe/Paris (CET)"
    assert "Dec. 3, 2025, 6 p.m." in page


def test_a_superuser_sees_the_servers_zone_or_their_own_memberships(
    superuser, org_b, message_a, at_five_pm_utc
):
    sent_at_five(message_a)
    url = reverse("admin:campaigns_messagelog_changelist")
    page = logged_in(superuser).get(url).content.decode()
    assert zone_named(page) == "Times in UTC" and "Dec. 3, 2025, 5 p.m." in page
    Membership.objects.create(user=superuser, organization=org_b)
    page = logged_in(superuser).get(url).content.decode()
    assert zone_named(page) == "Times in Europe/Paris (CET)" and "Dec. 3, 2025, 6 p.m." in page


def test_a_date_typed_in_the_admin_is_read_in_the_agencys_zone(client_a, message_a):
    sent_at_five(message_a)
    url = reverse("admin:campaigns_messagelog_changelist")
    # 09:00 on Dec 3 in Los Angeles: a range that ends on Dec 2 leaves it out.
    before = client_a.get(url, {"sent_at_from": "2025-12-01", "sent_at_to": "2025-12-02"})
    on_the_day = client_a.get(url, {"sent_at_from": "2025-12-03", "sent_at_to": "2025-12-03"})
    assert message_a.to_email not in before.content.decode()
    assert message_a.to_email in on_the_day.content.decode()


def test_an_audiences_dates_are_the_agencys_days_whoever_asks(campaign_a, org_a):
    # Created 06:00 UTC on Dec 3: still Dec 2 in Los Angeles.
    lead = Lead.objects.create(organization=org_a, name="Early", email="early@example.com")
    Lead.objects.filter(pk=lead.pk).update(
        created_at=datetime.datetime(2025, 12, 3, 6, 0, tzinfo=datetime.UTC)
    )
    campaign_a.audience_filter = {"created_from": "2025-12-03"}
    for zone in ("UTC", "America/Los_Angeles", "Asia/Tokyo"):
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            assert list(audience.audience_of(campaign_a)) == []
    campaign_a.audience_filter = {"created_from": "2025-12-02", "created_to": "2025-12-02"}
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        assert list(audience.audience_of(campaign_a)) == [lead]


def test_pages_outside_a_request_keep_the_servers_zone(client_a, campaign_a, org_a):
    client_a.get(reverse("admin:index"))
    assert timezone.get_current_timezone_name() == "UTC"
    assert Campaign(organization=org_a).place_in_window(FIVE_PM_UTC).hour == 9
