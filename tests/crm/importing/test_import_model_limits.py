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


def test_a_budget_past_the_columns_range_is_a_row_error_at_preview_and_confirm_imports_the_rest(
    client_a, org_a
):
    data = f"name,email,budget_max\nAna,ana@example.com,{HUGE}\nBen,ben@example.com,900000\n"
    upload = SimpleUploadedFile("leads.csv", data.encode(), "text/csv")
    preview = client_a.post(URL, {"organization": org_a.pk, "file": upload})
    page = preview.content.decode()
    assert 'data-testid="created">1<' in page and 'data-testid="rejected">1<' in page
    expected = lead_import.TOO_LARGE.format(value=HUGE, limit=BIGINT_MAX)
    assert [str(error) for error in preview.context["errors_shown"]] == [
        f"line 2, budget_max: {expected}"
    ]
    response = client_a.post(URL, {"token": preview.context["token"]})
    assert response.status_code == 302
    assert list(Lead.objects.values_list("email", "budget_max")) == [("ben@example.com", 900000)]


def test_the_largest_amount_the_column_holds_is_accepted_and_one_more_is_not(org_a):
    assert errors_of(org_a, f"name,email,budget_min\nAna,ana@example.com,{BIGINT_MAX}\n") == []
    assert errors_of(org_a, f"name,email,budget_min\nAna,ana@example.com,{BIGINT_MAX + 1}\n") == [
        "line 2, budget_min: "
        + lead_import.TOO_LARGE.format(value=BIGINT_MAX + 1, limit=BIGINT_MAX)
    ]


def test_an_amount_of_thousands_of_digits_is_a_row_error_not_a_python_message(org_a):
    digits = "9" * 5000
    [error] = errors_of(org_a, f"name,email,budget_max\nAna,ana@example.com,{digits}\n")
    assert error == "line 2, budget_max: " + lead_import.TOO_LARGE.format(
        value=digits[:60] + "…", limit=BIGINT_MAX
    )


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
    ("column", "limit"), [("name", 201), ("phone", 40), ("city", 100), ("source", 100)]
)
def test_every_text_column_is_held_to_its_model_field_length(org_a, column, limit):
    header = "email,name" if column == "name" else f"email,name,{column}"
    for length, expected in ((limit, []), (limit + 1, [lead_import.TOO_LONG.format(limit=limit)])):
        cell = "x" * length
        row = f"ana@example.com,{cell}" if column == "name" else f"ana@example.com,Ana,{cell}"
        found = errors_of(org_a, f"{header}\n{row}\n")
        assert found == [f"line 2, {column}: {message}" for message in expected]


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
