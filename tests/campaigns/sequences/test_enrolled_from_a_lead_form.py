"""A key that names a sequence enrols each lead it brings in it, once, while the sequence
runs; the CRM calls the campaigns' enrolment through the arrival hook they register."""

import pytest
from django.test import Client

from campaigns.models import Campaign, Enrollment
from crm.inbound import keys
from tests.conftest import make_sequence

pytestmark = pytest.mark.usefixtures("fresh_rate_limits")


@pytest.fixture
def nurture(org_a, account_a):
    sequence = make_sequence(org_a, account_a)
    Campaign.objects.filter(pk=sequence.pk).update(status=Campaign.Status.ACTIVE)
    return sequence


def post(secret: str, email: str):
    return Client().post(
        "/api/leads/", {"email": email, "first_name": "Ana"}, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def test_every_lead_of_the_key_joins_its_sequence_once(org_a, nurture):
    _key, secret = keys.inbound_key_create(organization=org_a, name="Site", enrol_in=nurture.pk)
    assert post(secret, "ana@example.com").status_code == 201
    assert post(secret, "ana@example.com").status_code == 200  # replayed
    assert post(secret, "ben@example.com").status_code == 201
    enrolled = Enrollment.objects.filter(campaign=nurture)
    assert sorted(enrolled.values_list("lead__email", flat=True)) == [
        "ana@example.com",
        "ben@example.com",
    ]
    assert set(enrolled.values_list("next_order", flat=True)) == {1}


def test_a_draft_sequence_or_another_agencys_enrols_nobody(org_a, org_b, nurture, account_b):
    Campaign.objects.filter(pk=nurture.pk).update(status=Campaign.Status.DRAFT)
    key, secret = keys.inbound_key_create(organization=org_a, name="Site", enrol_in=nurture.pk)
    assert post(secret, "ana@example.com").status_code == 201
    theirs = make_sequence(org_b, account_b)
    Campaign.objects.filter(pk=theirs.pk).update(status=Campaign.Status.ACTIVE)
    key.enrol_in = theirs.pk
    key.save()
    assert post(secret, "ben@example.com").status_code == 201
    assert not Enrollment.objects.exists()
