"""The importer applies the model's own limits: a row the database would refuse is a row
error at the preview, named by line and column, and never a 500 at the confirmation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.importing import lead_import
from crm.importing.lead_import import leads_import
from crm.models import Lead, SuppressedAddress

URL = reverse("admin:crm_lead_import")
HUGE = "1180591620717411303424"  # 2**70: past the bigint column's 9223372036854775807
BIGINT_MAX = 9223372036854775807


def errors_of(org, text: str) -> list[str]:
    report = leads_import(organization=org, data=text.encode(), dry_run=True)
    return [str(error) for error in report.errors]


def changes_of(org, text: str) -> list[str]:
    report = leads_import(organization=org, data=text.encode(), dry_run=True)
    assert report.errors == []
    return [str(change) for change in report.changes]


def too_large(column: str, value: str, what: str) -> str:
    problem = lead_import.TOO_LARGE.format(value=value, limit=BIGINT_MAX)
    return f"line 2, {column}: " + lead_import.LEFT_OUT.format(problem=problem, what=what)


def test_a_budget_past_the_columns_range_is_left_out_at_preview_and_the_row_imported(
    client_a, org_a
):
    data = f"name,email,budget_max\nAna,ana@example.com,{HUGE}\nBen,ben@example.com,900000\n"
    upload = SimpleUploadedFile("leads.csv", data.encode(), "text/csv")
    preview = client_a.post(URL, {"organization": org_a.pk, "file": upload}, follow=True)
    page = preview.content.decode()
    assert 'data-testid="created">2<' in page and 'data-testid="rejected">0<' in page
    assert [str(change) for change in preview.context["changes_shown"]] == [
        too_large("budget_max", HUGE, "a budget up to")
    ]
    response = client_a.post(preview.request["PATH_INFO"], {"confirm": "1"})
    assert response.status_code == 302
    assert sorted(Lead.objects.values_list("email", "budget_max")) == [
        ("ana@example.com", None),
        ("ben@example.com", 900000),
    ]


def test_the_largest_amount_the_column_holds_is_accepted_and_one_more_is_not(org_a):
    assert changes_of(org_a, f"name,email,budget_min\nAna,ana@example.com,{BIGINT_MAX}\n") == []
    assert changes_of(org_a, f"name,email,budget_min\nAna,ana@example.com,{BIGINT_MAX + 1}\n") == [
        too_large("budget_min", str(BIGINT_MAX + 1), "a budget from")
    ]


def test_an_amount_of_thousands_of_digits_is_named_not_a_python_message(org_a):
    digits = "9" * 5000
    [change] = changes_of(org_a, f"name,email,budget_max\nAna,ana@example.com,{digits}\n")
    assert change == too_large("budget_max", digits[:60] + "…", "a budget up to")


def test_leading_zeros_do_not_change_an_amount(org_a):
    data = "name,email,budget_min\nBen,ben@example.com," + "0" * 30 + "125\n"
    leads_import(organization=org_a, data=data.encode())
    assert Lead.objects.get(email="ben@example.com").budget_min == 125


def test_a_264_character_email_is_refused_as_the_254_character_field_would(org_a):
    address = "a" * 252 + "@example.com"  # valid syntax, 264 characters
    assert len(address) == 264
    assert errors_of(org_a, f"name,email\nAna,{address}\n") == [
        "line 2, email: " + lead_import.TOO_LONG.format(limit=254)
    ]
    at_limit = "a" * 242 + "@example.com"
    assert errors_of(org_a, f"name,email\nAna,{at_limit}\n") == []


@pytest.mark.parametrize(
    ("column", "limit", "what"),
    [
        ("first_name", 100, "a first name"),
        ("city", 100, "a city"),
        ("source", 100, "a source"),
    ],
)
def test_every_text_column_is_held_to_its_model_field_length(org_a, column, limit, what):
    for length in (limit, limit + 1):
        cell = "x" * length
        found = changes_of(org_a, f"email,{column}\nana@example.com,{cell}\n")
        problem = f"“{cell[:60]}…” " + lead_import.TOO_LONG.format(limit=limit)
        expected = [f"line 2, {column}: " + lead_import.LEFT_OUT.format(problem=problem, what=what)]
        assert found == ([] if length == limit else expected)


def test_a_phone_number_that_is_not_one_is_kept_as_written_unless_too_long(org_a):
    assert changes_of(org_a, "email,phone\nana@example.com,call after 5\n") == [
        "line 2, phone: “call after 5” is not a phone number in US: kept as written"
    ]
    long = "x" * 41
    assert changes_of(org_a, f"email,phone\nana@example.com,{long}\n") == [
        f"line 2, phone: “{long}” is not a phone number in US: imported without a phone number"
    ]


def test_a_long_address_in_a_suppression_list_is_a_row_error_too(client_a, org_a):
    address = "a" * 252 + "@example.com"
    data = f"email\n{address}\nok@example.com\n".encode()
    response = client_a.post(
        reverse("admin:crm_suppressedaddress_import"),
        {"organization": org_a.pk, "file": SimpleUploadedFile("list.csv", data, "text/csv")},
    )
    assert [(e.line, e.message) for e in response.context["errors"]] == [
        (2, lead_import.TOO_LONG.format(limit=254))
    ]
    assert list(SuppressedAddress.objects.values_list("email", flat=True)) == ["ok@example.com"]


@settings(max_examples=400, deadline=None)
@given(
    local=st.text(alphabet="aZ9.-_+'!{}\"é@ ", max_size=8),
    host=st.text(alphabet="aZ9.-éx@", max_size=12),
)
def test_property_an_address_the_fast_check_passes_is_one_djangos_validator_passes(local, host):
    address = f"{local}@{host}"
    if lead_import.COMMON_ADDRESS.match(address):
        validate_email(address)
