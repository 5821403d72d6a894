"""Known column names map themselves: the export columns of the common real-estate CRMs and
contact tools, and the usual spellings; what has no field of ours is kept as a custom field."""

import pytest

from crm.importing import mapping
from crm.importing.csv_reading import CsvFileError
from crm.importing.mapping import CUSTOM, SKIP


def targets(header: list[str]) -> dict[str, str]:
    return {column.header: column.target for column in mapping.automatic(header).columns}


FOLLOW_UP_BOSS = [
    "Name",
    "First Name",
    "Last Name",
    "ID",
    "Date Added",
    "Stage",
    "Lead Source",
    "Assigned To",
    "Is Contacted",
    "Listing Price",
    "Tags",
    "Email 1",
    "Email 2",
    "Phone 1",
    "Phone 2",
    "Address 1 - City",
    "Property City",
    "Notes",
    "Kids Names",
]


def test_follow_up_boss_columns():
    assert targets(FOLLOW_UP_BOSS) == {
        "Name": SKIP,  # the first and last names are there
        "First Name": "first_name",
        "Last Name": "last_name",
        "ID": CUSTOM,
        "Date Added": CUSTOM,
        "Stage": "status",
        "Lead Source": "source",
        "Assigned To": "agent",
        "Is Contacted": CUSTOM,
        "Listing Price": "budget",
        "Tags": "tags",
        "Email 1": "email",
        "Email 2": CUSTOM,
        "Phone 1": "phone",
        "Phone 2": CUSTOM,
        "Address 1 - City": "city",
        "Property City": CUSTOM,
        "Notes": CUSTOM,
        "Kids Names": CUSTOM,
    }


def test_kvcore_boldtrail_columns():
    header = [
        "First Name",
        "Last Name",
        "Email",
        "second email",
        "Cell Phone 1",
        "Home Phone",
        "Primary City",
        "Status",
        "Source",
        "Hashtag",
        "Agent",
        "Price Min",
        "Price Max",
    ]
    assert targets(header) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "second email": CUSTOM,
        "Cell Phone 1": "phone",
        "Home Phone": CUSTOM,
        "Primary City": "city",
        "Status": "status",
        "Source": "source",
        "Hashtag": "tags",
        "Agent": "agent",
        "Price Min": "budget_min",
        "Price Max": "budget_max",
    }


def test_lofty_google_and_outlook_columns():
    lofty = [
        "First Name",
        "Last Name",
        "Email",
        "Phone",
        "Mailing City",
        "Lead Type",
        "Stage",
        "Min Price",
        "Max Price",
        "Assigned Agent",
        "Tags",
    ]
    assert [column.target for column in mapping.automatic(lofty).columns] == [
        "first_name",
        "last_name",
        "email",
        "phone",
        "city",
        CUSTOM,
        "status",
        "budget_min",
        "budget_max",
        "agent",
        "tags",
    ]
    google = [
        "First Name",
        "Last Name",
        "Labels",
        "E-mail 1 - Label",
        "E-mail 1 - Value",
        "Phone 1 - Label",
        "Phone 1 - Value",
        "Address 1 - City",
        "Birthday",
    ]
    assert targets(google) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Labels": "tags",
        "E-mail 1 - Label": CUSTOM,
        "E-mail 1 - Value": "email",
        "Phone 1 - Label": CUSTOM,
        "Phone 1 - Value": "phone",
        "Address 1 - City": "city",
        "Birthday": CUSTOM,
    }
    outlook = [
        "First Name",
        "Last Name",
        "E-mail Address",
        "Mobile Phone",
        "Home City",
        "Categories",
        "E-mail 2 Address",
    ]
    assert targets(outlook) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "E-mail Address": "email",
        "Mobile Phone": "phone",
        "Home City": "city",
        "Categories": "tags",
        "E-mail 2 Address": CUSTOM,
    }


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("Budget From", "budget_min"),
        ("Min Price", "budget_min"),
        ("budget_max", "budget_max"),
        ("Maximum Budget", "budget_max"),
        ("Lead Status", "status"),
        ("Pipeline Stage", "status"),
        ("E-Mail", "email"),
        ("Mobile", "phone"),
        ("Full Name", "full_name"),
        ("Owner Email", "agent"),
        ("Labels", "tags"),
        ("Neighborhood", "city"),
        ("How did you hear about us?", "source"),
    ],
)
def test_the_usual_spellings(name, target):
    assert targets([name, "Email"] if target != "email" else [name])[name] == target


def test_a_custom_column_keeps_a_key_of_its_own_and_a_date_column_is_read_as_dates():
    found = mapping.automatic(["Email", "Notes", "notes", "Birthday", "Neighborhood pref"])
    keys = [(column.custom_key, column.is_date) for column in found.of(CUSTOM)]
    assert keys == [
        ("notes", False),
        ("notes_2", False),
        ("birthday", True),
        ("neighborhood_pref", False),
    ]


def test_a_file_with_too_many_columns_is_refused():
    with pytest.raises(CsvFileError, match="The file has 251 columns"):
        mapping.automatic([f"c{n}" for n in range(251)])
