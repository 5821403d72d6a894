"""An agency's time zone is chosen in a searchable list of zones named in the page's
language ("New York, United States — Eastern Time"), stored as its IANA key; an old name of
a zone is read as the zone, and a zone the list lacks is kept, not replaced."""

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from crm.models import StaffPreferences
from crm.site.zone_choices import UNKNOWN_ZONE, ZoneField, canonical_zones, zone_choices
from tests.crm.test_organization_roles import post

WINTER = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)
SUMMER = datetime.datetime(2026, 7, 15, 12, 0, tzinfo=datetime.UTC)


def label_of(key: str) -> str:
    return dict(zone_choices())[key]


@pytest.mark.parametrize(
    ("language", "paris", "new_york"),
    [
        (
            "en",
            "(UTC+01:00) Paris, France — Central European Time",
            "(UTC-05:00) New York, United States — Eastern Time",
        ),
        (
            "fr",
            "(UTC+01:00) Paris, France — heure d’Europe centrale",
            "(UTC-05:00) New York, États-Unis — heure de l’Est nord-américain",
        ),
        (
            "es",
            "(UTC+01:00) París, Francia — hora de Europa central",
            "(UTC-05:00) Nueva York, Estados Unidos — hora oriental",
        ),
    ],
)
def test_each_zone_is_named_in_the_pages_language(language, paris, new_york):
    with time_machine.travel(WINTER), translation.override(language):
        assert label_of("Europe/Paris") == paris
        assert label_of("America/New_York") == new_york


def test_the_offset_is_todays():
    with time_machine.travel(SUMMER):
        assert label_of("Europe/Paris").startswith("(UTC+02:00) ")


def test_the_list_runs_from_the_earliest_offset_to_the_latest_and_holds_no_reversed_etc_zone():
    with time_machine.travel(WINTER):
        choices = zone_choices()
    offsets = [re.match(r"\(UTC([+-]\d\d):(\d\d)\)", label) for _key, label in choices]
    minutes = [int(m[1]) * 60 + (int(m[2]) if m[1][0] == "+" else -int(m[2])) for m in offsets]
    assert minutes == sorted(minutes)
    assert {key for key, _label in choices} == canonical_zones()
    assert "UTC" in canonical_zones() and not any(k.startswith("Etc/") for k in canonical_zones())


def test_a_zone_without_a_name_of_its_own_says_only_where_it_is():
    with time_machine.travel(WINTER):
        assert label_of("America/Argentina/Buenos_Aires") == "(UTC-03:00) Buenos Aires, Argentina"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("America/New_York", "America/New_York"),
        ("US/Eastern", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        (" europe/paris ", "Europe/Paris"),
    ],
)
def test_an_old_or_differently_written_name_is_read_as_its_zone(typed, stored):
    assert ZoneField().clean(typed) == stored


def test_a_name_that_is_no_zone_is_refused_with_the_reason():
    with pytest.raises(ValidationError) as refused:
        ZoneField().clean("Eastern")
    assert refused.value.messages == [str(UNKNOWN_ZONE) % {"value": "Eastern"}]


def test_the_organization_page_offers_the_list_searchable_in_the_pages_language(
    client_a, org_a, staff_a
):
    StaffPreferences.objects.create(user=staff_a, language="fr")
    page = client_a.get(reverse("admin:crm_organization_change", args=[org_a.pk])).content
    html = page.decode()
    select = re.search(r'<select name="timezone"[^>]*>', html)[0]
    assert "unfold-admin-autocomplete" in select and 'lang="fr"' in select
    assert re.search(r'<option value="America/Los_Angeles"[^>]*selected>', html)
    assert "Los Angeles, États-Unis — heure du Pacifique nord-américain" in html
    # select2's own words in French: its file loads before jquery.init.js takes jQuery away.
    scripts = re.findall(r'<script src="/static/([^"]+)"', html)
    i18n = scripts.index("admin/js/vendor/select2/i18n/fr.js")
    assert scripts.index("admin/js/vendor/select2/select2.full.js") < i18n
    assert i18n < scripts.index("admin/js/jquery.init.js")


def test_an_owner_saves_a_zone_chosen_or_typed_under_an_old_name(client_a, org_a):
    assert post(client_a, org_a, timezone="US/Eastern").status_code == 302
    org_a.refresh_from_db()
    assert org_a.timezone == "America/New_York"
    page = post(client_a, org_a, timezone="Eastern").content.decode()
    assert "is not a time zone we know" in page
    org_a.refresh_from_db()
    assert org_a.timezone == "America/New_York"


def test_a_zone_the_list_lacks_is_offered_first_and_kept_on_saving(client_a, org_a):
    org_a.timezone = "Etc/GMT+5"
    org_a.save()
    html = client_a.get(reverse("admin:crm_organization_change", args=[org_a.pk])).content
    assert re.search(rb'<option value="Etc/GMT\+5"[^>]*selected>Etc/GMT\+5</option>', html)
    assert post(client_a, org_a, name="Renamed").status_code == 302
    org_a.refresh_from_db()
    assert (org_a.name, org_a.timezone) == ("Renamed", "Etc/GMT+5")


def test_the_agencys_language_is_chosen_in_a_list_of_ours_named_in_their_own(client_a, org_a):
    html = client_a.get(reverse("admin:crm_organization_change", args=[org_a.pk])).content
    assert re.search(rb'<select name="language"', html)
    assert b'<option value="fr">fran\xc3\xa7ais</option>' in html
