import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.models import Lead


def test_the_database_refuses_a_second_lead_with_the_same_email_in_any_case(org_a, lead_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(organization=org_a, name="Ana again", email="ANA@Example.COM")


def test_two_organizations_can_each_have_a_lead_with_the_same_email(org_a, org_b, lead_a):
    Lead.objects.create(organization=org_b, name="Ana", email="ana@example.com")
    assert Lead.objects.filter(email__iexact="ana@example.com").count() == 2


def test_the_database_refuses_a_minimum_budget_above_the_maximum(org_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(
            organization=org_a, name="X", email="x@example.com", budget_min=9, budget_max=1
        )


def test_validation_names_the_duplicate_email_before_the_database_does(org_a, lead_a):
    duplicate = Lead(organization=org_a, name="Ana again", email="Ana@example.com")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "A lead with this email address already exists." in str(error.value)


def test_a_lead_cannot_link_a_property_of_another_organization(org_a, property_b):
    lead = Lead(organization=org_a, name="X", email="x@example.com", property=property_b)
    with pytest.raises(ValidationError) as error:
        lead.full_clean()
    assert "property" in error.value.message_dict
