"""Cells as CRMs and spreadsheets write them: amounts with currency signs, either
convention of separators, k and M, ranges; "nothing" written as N/A; dates; phone numbers
to E.164 from the agency's country and back as people write them; tags."""

import pytest

from crm.importing import values
from crm.importing.values import ValueProblem


@pytest.mark.parametrize(
    ("cell", "amounts"),
    [
        ("450000", (450_000, 450_000)),
        ("$450,000", (450_000, 450_000)),
        ("$ 450 000", (450_000, 450_000)),
        ("€700.000", (700_000, 700_000)),
        ("700.000 €", (700_000, 700_000)),
        ("1.250.000,50 €", (1_250_001, 1_250_001)),
        ("1,234,567.89", (1_234_568, 1_234_568)),
        ("450000.00", (450_000, 450_000)),
        ("$1.2M", (1_200_000, 1_200_000)),
        ("1,5M", (1_500_000, 1_500_000)),
        ("850K", (850_000, 850_000)),
        ("3.5 million", (3_500_000, 3_500_000)),
        ("700,000 USD", (700_000, 700_000)),
        ("500k-700k", (500_000, 700_000)),
        ("500-700k", (500_000, 700_000)),
        ("$400,000 - $500,000", (400_000, 500_000)),
        ("500k–1.2M", (500_000, 1_200_000)),
        ("400k to 600k", (400_000, 600_000)),
        ("up to 700k", (None, 700_000)),
        ("under $1M", (None, 1_000_000)),
        ("500k+", (500_000, None)),
        ("over 2M", (2_000_000, None)),
    ],
)
def test_amounts_are_read_as_people_write_them(cell, amounts):
    assert values.read_amounts(cell) == amounts


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("about 1M", "“about 1M” is not an amount"),
        ("$1.2.3M", "“$1.2.3M” is not an amount"),
        ("call me", "“call me” is not an amount"),
        ("-5000", "“-5000” is below zero"),
        ("12,34,56", "“12,34,56” is not an amount"),
    ],
)
def test_what_is_not_an_amount_says_what_was_read(cell, message):
    with pytest.raises(ValueProblem) as problem:
        values.read_amounts(cell)
    assert str(problem.value) == message


@pytest.mark.parametrize("cell", ["N/A", "n/a", "-", "—", "NULL", "none", "#N/A", "0/0/00", "TBD"])
def test_nothing_is_written_in_many_ways(cell):
    assert values.is_blank(cell)


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("Trash", "lost"),
        ("Closed", "client"),
        ("Past Client", "client"),
        ("  past   CLIENT ", "client"),
        ("Nurture", "contacted"),
        ("Hot Prospect", "qualified"),
        ("Hot", "qualified"),
        ("Lead", "new"),
        ("New Lead", "new"),
        ("Archive", "lost"),
        ("Under Contract", "client"),
        ("Sphere", "contacted"),
        ("Qualified", "qualified"),
        ("Kids of Closed Clients", ""),
    ],
)
def test_crm_stages_map_to_our_statuses_and_an_unknown_one_is_not_guessed(cell, status):
    assert values.known_status(cell) == status


@pytest.mark.parametrize(
    ("cell", "day_first", "date"),
    [
        ("2024-03-14", False, "2024-03-14"),
        ("2024-03-14T10:30:00Z", False, "2024-03-14"),
        ("3/14/2024", False, "2024-03-14"),
        ("3/14/2024 4:05 PM", False, "2024-03-14"),
        ("3/4/24", False, "2024-03-04"),
        ("3/4/24", True, "2024-04-03"),
        ("14/03/2024", False, "2024-03-14"),
        ("14.03.2024", False, "2024-03-14"),
        ("Mar 14, 2024", False, "2024-03-14"),
        ("14 March 2024", False, "2024-03-14"),
        ("45365", False, "2024-03-14"),
        ("--03-14", False, "--03-14"),
    ],
)
def test_dates_are_read_in_the_formats_crms_write(cell, day_first, date):
    assert values.read_date(cell, day_first) == date


def test_what_is_not_a_date_says_so():
    with pytest.raises(ValueProblem, match="“31/31/2024” is not a date"):
        values.read_date("31/31/2024")


@pytest.mark.parametrize(
    ("cell", "country", "e164", "shown_us", "shown_fr"),
    [
        ("(310) 555-1542", "US", "+13105551542", "(310) 555-1542", "+1 310-555-1542"),
        ("+1 310.555.1542", "FR", "+13105551542", "(310) 555-1542", "+1 310-555-1542"),
        ("06 75 13 77 78", "FR", "+33675137778", "+33 6 75 13 77 78", "06 75 13 77 78"),
        ("310-555-1542 x12", "US", "+13105551542 ext. 12", "(310) 555-1542 ext. 12", None),
    ],
)
def test_phones_are_kept_in_e164_and_shown_as_people_of_the_agency_write_them(
    cell, country, e164, shown_us, shown_fr
):
    stored = values.read_phone(cell, country)
    assert stored == e164
    assert values.phone_as_written(stored, "US") == shown_us
    if shown_fr:
        assert values.phone_as_written(stored, "FR") == shown_fr


def test_a_number_that_is_not_one_of_the_agencys_country_is_named():
    with pytest.raises(ValueProblem, match="“06 75 13 77 78” is not a phone number in US"):
        values.read_phone("06 75 13 77 78", "US")
    assert values.phone_as_written("call me after 5", "US") == "call me after 5"


def test_tags_are_split_however_the_crm_joins_them():
    assert values.read_tags("buyer, VIP") == ["buyer", "VIP"]
    assert values.read_tags("Barrington|Naperville") == ["Barrington", "Naperville"]
    assert values.read_tags("* myContacts ::: * Buyers") == ["myContacts", "Buyers"]
    assert values.read_tags("a; b\nA") == ["a", "b"]


def test_a_column_name_becomes_a_template_friendly_key():
    assert values.custom_key("Kids' Names") == "kids_names"
    assert values.custom_key("Quartier préféré") == "quartier_prefere"
    assert values.custom_key("2nd Email") == "f_2nd_email"
    assert values.custom_key("???") == "column"
