"""POST /api/leads/ reads a lead as the import does (issue 24 §2): a control character in a
name becomes a space, an international domain is taken (it is sent in IDNA form), and a
domain with no IDNA form is refused with the reason, writing nothing."""

import pytest

from crm.inbound import keys
from crm.models import Lead
from tests.crm.inbound.test_leads_api import post_json

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def secret(org_a):
    return keys.inbound_key_create(organization=org_a, name="Website contact form")[1]


def test_a_control_character_in_a_name_becomes_a_space(live_server, secret):
    fields = {"first_name": "Vera\x0bTab", "email": "vera@example.com"}
    status, answer = post_json(live_server, fields, secret)
    assert status == 201, answer
    assert Lead.objects.get().first_name == "Vera Tab"


def test_an_international_domain_is_taken(live_server, secret):
    status, answer = post_json(live_server, {"email": "idn@bücher.example"}, secret)
    assert status == 201, answer
    assert Lead.objects.get().email == "idn@bücher.example"


def test_a_domain_without_an_idna_form_is_refused_with_the_reason(live_server, secret):
    status, answer = post_json(live_server, {"email": "snow@a☃.example"}, secret)
    assert status == 400
    assert "cannot be written for email (IDNA)" in answer["errors"][0]["message"]
    assert not Lead.objects.exists()
