"""POST /api/leads/ end to end, over HTTP to a running server: a key of the agency's (in a
header or a form field), JSON or a plain form post, the import's mapping and checks,
idempotent by email; a wrong, revoked or missing key, a filled honeypot and too many posts
are refused and write nothing."""

import http.client
import json
import urllib.parse

import pytest

from crm.inbound import keys
from crm.inbound.views import NO_KEY, REVOKED_KEY, TOO_FAST, WRONG_KEY
from crm.models import ConsentRecord, CustomField, Lead

pytestmark = pytest.mark.django_db(transaction=True)

LEAD = {
    "first_name": "Ana",
    "last_name": "Souza",
    "email": "Ana@Example.com",
    "phone": "(310) 555-0101",
    "budget": "$500k - $700k",
    "tags": ["buyer", "web"],
    "timeframe": "3-6 months",
}


@pytest.fixture
def made(org_a):
    """A key of Sunset Realty's and its secret, as the admin shows it once."""
    return keys.inbound_key_create(organization=org_a, name="Website contact form")


@pytest.fixture
def key(made):
    return made[0]


@pytest.fixture
def secret(made):
    return made[1]


def post(server, body: bytes, headers: dict) -> tuple[int, dict, bytes]:
    address = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("POST", "/api/leads/", body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def post_json(server, fields: dict, secret: str = "") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    status, _, data = post(server, json.dumps(fields).encode(), headers)
    return status, json.loads(data)


def post_form(server, fields: dict, accept: str = "text/html") -> tuple[int, dict, str]:
    body = urllib.parse.urlencode(fields, doseq=True).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
    status, response_headers, data = post(server, body, headers)
    return status, response_headers, data.decode()


def test_a_tool_posts_json_and_the_lead_is_read_as_an_import_would(live_server, key, org_a, secret):
    status, answer = post_json(live_server, LEAD, secret)
    assert status == 201, answer
    lead = Lead.objects.get(organization=org_a)
    assert answer == {"lead": str(lead.pk), "created": True, "changed": False, "left_out": []}
    assert (lead.first_name, lead.last_name, lead.email) == ("Ana", "Souza", "Ana@Example.com")
    assert (lead.phone, lead.budget_min, lead.budget_max) == ("+13105550101", 500_000, 700_000)
    assert sorted(lead.tags.values_list("name", flat=True)) == ["buyer", "web"]
    assert lead.custom == {"timeframe": "3-6 months"}
    assert (lead.source, lead.inbound_key) == ("Website contact form", key)
    assert CustomField.objects.filter(organization=org_a, key="timeframe").exists()
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_replayed_post_is_one_lead_and_a_new_value_updates_it(live_server, key, org_a, secret):
    assert post_json(live_server, LEAD, secret)[0] == 201
    status, again = post_json(live_server, LEAD, secret)
    assert (status, again["created"], again["changed"]) == (200, False, False)
    status, changed = post_json(live_server, {**LEAD, "phone": "+1 626 555 0199"}, secret)
    assert (status, changed["changed"]) == (200, True)
    assert Lead.objects.filter(organization=org_a).count() == 1
    assert Lead.objects.get().phone == "+16265550199"


def test_a_lead_of_another_agency_with_the_same_address_is_left_alone(
    live_server, key, lead_b, secret
):
    status, _ = post_json(live_server, {"email": lead_b.email, "first_name": "X"}, secret)
    assert status == 201
    lead_b.refresh_from_db()
    assert (lead_b.first_name, lead_b.organization_id) == ("Bruno", lead_b.organization_id)
    assert Lead.objects.filter(email=lead_b.email).count() == 2


@pytest.mark.parametrize(
    ("secret", "message"),
    [("", NO_KEY), ("lk_not-a-key-of-ours", WRONG_KEY), ("Bearer", WRONG_KEY)],
)
def test_a_missing_or_wrong_key_is_refused_and_nothing_written(live_server, key, secret, message):
    status, answer = post_json(live_server, LEAD, secret)
    assert (status, answer) == (401, {"error": message})
    assert not Lead.objects.exists()


def test_a_revoked_key_is_refused(live_server, key, secret):
    assert keys.inbound_key_revoke(key=key)
    status, answer = post_json(live_server, LEAD, secret)
    assert (status, answer) == (401, {"error": REVOKED_KEY})
    assert not Lead.objects.exists()


def test_a_key_of_another_agency_brings_leads_to_that_agency_only(live_server, key, org_b):
    _theirs, secret = keys.inbound_key_create(organization=org_b, name="Harbor site")
    assert post_json(live_server, LEAD, secret)[0] == 201
    assert list(Lead.objects.values_list("organization", flat=True)) == [org_b.pk]


def test_a_plain_html_form_post_gets_a_thank_you_page(live_server, key, secret):
    form = {**LEAD, "key": secret, "_gotcha": ""}
    status, _, page = post_form(live_server, form)
    assert status == 201 and "Thank you" in page
    assert Lead.objects.get().tags.count() == 2  # the two ticked tags of one name


def test_a_form_post_goes_to_the_keys_thank_you_page(live_server, key, secret):
    key.thanks_url = "https://agency.example/thanks"
    key.save()
    status, headers, _ = post_form(live_server, {"email": "bo@example.com", "key": secret})
    assert (status, headers["Location"]) == (302, "https://agency.example/thanks")


def test_a_filled_honeypot_is_answered_as_a_success_and_nothing_is_kept(live_server, key, secret):
    status, _, page = post_form(live_server, {**LEAD, "key": secret, "_gotcha": "http://x"})
    assert status == 200 and "Thank you" in page
    status, answer = post_json(live_server, {**LEAD, "_gotcha": "spam"}, secret)
    assert (status, answer) == (200, {"accepted": True})
    assert not Lead.objects.exists()


def test_a_lead_without_a_usable_address_is_refused_with_the_reason(live_server, key, secret):
    status, answer = post_json(live_server, {"email": "ana@", "first_name": "Ana"}, secret)
    assert (status, answer) == (
        400,
        {"errors": [{"field": "email", "message": "“ana@” is not a valid email address"}]},
    )
    status, _, page = post_form(live_server, {"email": "ana@", "key": secret})
    assert status == 400 and "is not a valid email address" in page
    assert not Lead.objects.exists()


def test_a_value_that_cannot_be_read_is_left_out_and_said(live_server, key, secret):
    status, answer = post_json(live_server, {"email": "a@example.com", "budget": "lots"}, secret)
    assert status == 201
    assert answer["left_out"] == [
        {"field": "budget", "message": "“lots” is not an amount: imported without a budget"}
    ]


def test_posts_are_limited_per_key(live_server, key, settings, secret):
    settings.LEADS_API_RATE_PER_KEY = "2/m"
    answers = [post_json(live_server, {"email": f"l{n}@example.com"}, secret) for n in range(3)]
    assert [status for status, _ in answers] == [201, 201, 429]
    assert answers[2][1] == {"error": TOO_FAST}
    assert Lead.objects.count() == 2


def test_posts_are_limited_per_address_even_with_wrong_keys(live_server, key, settings, secret):
    settings.LEADS_API_RATE_PER_ADDRESS = "3/m"
    statuses = [post_json(live_server, LEAD, f"lk_guess{n}")[0] for n in range(3)]
    status, headers, _ = post(
        live_server,
        json.dumps(LEAD).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
    )
    assert [*statuses, status] == [401, 401, 401, 429]
    assert headers["Retry-After"] == "60"
    assert not Lead.objects.exists()


def test_a_get_is_refused(live_server):
    address = urllib.parse.urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("GET", "/api/leads/")
    assert connection.getresponse().status == 405


def test_a_body_that_is_not_an_object_of_fields_is_refused(live_server, key, secret):
    for body in (b"[1, 2]", b"{not json", b'{"email": {"nested": 1}}'):
        status, _, _ = post(
            live_server,
            body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
        )
        assert status == 400
    assert not Lead.objects.exists()


def test_a_consent_ticked_on_the_form_is_kept_as_a_record_of_the_form(live_server, key, secret):
    status, _, _ = post_form(
        live_server, {"email": "c@example.com", "consent": "yes", "key": secret}
    )
    assert status == 201
    record = ConsentRecord.objects.get()
    assert (record.basis, record.source) == ("express", ConsentRecord.Source.FORM)
    assert record.source_detail == f"web form “Website contact form” ({key.prefix}…)"


def test_the_forms_words_and_day_are_kept_with_its_consent(live_server, key, secret, settings):
    settings.LEADS_API_RATE_PER_ADDRESS = "1000/m"  # this module's posts share one address
    wording = "Email me new listings. You can unsubscribe from any email."
    status, _, _ = post_form(
        live_server,
        {"email": "d@example.com", "consent": "yes", "consent_wording": wording, "key": secret},
    )
    assert status == 201
    record = ConsentRecord.objects.get()
    assert record.wording == wording
    assert record.given_on is not None
    lead = Lead.objects.get(email="d@example.com")
    assert lead.consent_date == record.given_on and "consent_wording" not in lead.custom
