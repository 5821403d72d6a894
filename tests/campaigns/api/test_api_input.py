"""The API never answers 500: every field's type and range is checked, and anything else
is a 400 naming the field, with nothing read or written (issue 13, section 3)."""

import json

import pytest
from django.conf import settings

from campaigns.models import Dispatch, MessageLog
from tests.campaigns.conftest import (
    CHECK_REPLIES_URL,
    LOG_URL,
    STATUS_URL,
    TICK_URL,
    claim_url,
    n8n_dispatch,
    report,
    signed_call,
    token_url,
)

Status = MessageLog.Status
pytestmark = pytest.mark.usefixtures("n8n_secret")
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def claimed(campaign_a):
    launched = n8n_dispatch(campaign_a, 1)
    [message] = signed_call(claim_url(launched), {"limit": 1}).json()["messages"]
    return launched, message


def refused(url, payload=None, *, raw=None):
    response = signed_call(url, payload, raw=raw)
    assert response.status_code == 400, response.content[:300]
    answer = response.json()
    assert answer["error"].startswith(f"{answer['field']}: ")
    return answer["field"]


@pytest.mark.parametrize("endpoint", ["claim", "token", "log", "status", "tick", "replies"])
def test_a_body_nested_100000_levels_deep_is_a_400_not_a_recursion_error(claimed, endpoint):
    launched, _ = claimed
    url = {
        "claim": claim_url(launched),
        "token": token_url(launched),
        "log": LOG_URL,
        "status": STATUS_URL,
        "tick": TICK_URL,
        "replies": CHECK_REPLIES_URL,
    }[endpoint]
    assert refused(url, raw=DEEP) == "body"
    assert refused(url, raw=b'{"a": ' + DEEP + b"}") == "body"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"sent_at": "2024-02-30T10:00:00Z"}, "sent_at"),  # no 30 February
        ({"sent_at": "2024-02-03T25:00:00Z"}, "sent_at"),
        ({"sent_at": "2024-02-03T10:00:00"}, "sent_at"),  # no offset
        ({"sent_at": "0001-01-01T00:00:00+14:00"}, "sent_at"),  # before UTC's year 1
        ({"sent_at": "2999-01-01T00:00:00Z"}, "sent_at"),
        ({"sent_at": 1700000000}, "sent_at"),
        ({"thread_id": {"a": 1}}, "thread_id"),
        ({"thread_id": ["t"]}, "thread_id"),
        ({"provider_message_id": 123}, "provider_message_id"),
        ({"provider_message_id": "a\x00b"}, "provider_message_id"),
        ({"provider_message_id": "x" * 256}, "provider_message_id"),
        ({"status": ["sent"]}, "status"),
        ({"status": "opened"}, "status"),
        ({"message_log_id": 12}, "message_log_id"),
        ({"message_log_id": "x" * 10_000}, "message_log_id"),
        ({"campaign_id": None}, "campaign_id"),
        ({"lead_id": {"id": 1}}, "lead_id"),
        ({"error": {"text": "x"}}, "error"),
        ({"error": "a\x00b"}, "error"),
        ({"statuss": "sent"}, "statuss"),
    ],
)
def test_a_report_with_a_wrong_field_is_a_400_naming_it_and_changes_nothing(claimed, change, field):
    _, message = claimed
    assert refused(LOG_URL, report(message) | change) == field
    assert refused(LOG_URL, {"messages": [report(message) | change]}) == f"messages[0].{field}"
    log = MessageLog.objects.get()
    assert (log.status, log.thread_id) == (Status.SENDING, "")


def test_text_that_no_database_column_holds_is_a_400(claimed):
    _, message = claimed
    body = json.dumps(report(message, "failed")).encode().replace(b'"sent"', b'"failed"')
    lone_surrogate = body[:-1] + b', "error": "\\ud800"}'
    assert refused(LOG_URL, raw=lone_surrogate) == "error"
    assert refused(LOG_URL, raw=body[:-1] + b', "thread_id": "\\ud800"}') == "thread_id"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"messages": "all"}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [1]}, "messages[0]"),
        ({"messages": [{}] * 501}, "messages"),
        ({"messages": [], "extra": 1}, "extra"),
    ],
)
def test_a_malformed_batch_is_a_400_naming_the_field(claimed, payload, field):
    assert refused(LOG_URL, payload) == field


def test_a_message_reported_twice_in_one_batch_is_a_400(claimed):
    _, message = claimed
    batch = {"messages": [report(message), report(message, "failed")]}
    assert refused(LOG_URL, batch) == "messages[1].message_log_id"
    assert MessageLog.objects.get().status == Status.SENDING


@pytest.mark.parametrize(
    "raw",
    [
        b'{"limit": true}',
        b'{"limit": 0}',
        b'{"limit": 501}',
        b'{"limit": "5"}',
        b'{"limit": 1.5}',
        b'{"limit": 1' + b"0" * 5000 + b"}",  # past Python's 4,300 digits
        b'{"limit": NaN}',
        b'{"limit": Infinity}',
        b'{"limt": 5}',
        b"[]",
        b"null",
        b'"text"',
        b"\xff\xfe",
    ],
)
def test_a_claim_with_a_bad_limit_is_a_400_and_claims_nothing(claimed, raw):
    launched, _ = claimed
    MessageLog.objects.update(status=Status.QUEUED)
    assert refused(claim_url(launched), raw=raw) in {"limit", "limt", "body"}
    assert MessageLog.objects.get().status == Status.QUEUED


@pytest.mark.parametrize("url", [TICK_URL, CHECK_REPLIES_URL])
def test_the_endpoints_without_parameters_take_an_empty_object_only(db, url):
    assert refused(url, {"now": "2030-01-01"}) == "now"


def test_the_token_endpoint_takes_an_empty_object_only(claimed):
    launched, _ = claimed
    assert refused(token_url(launched), {"scope": "gmail.readonly"}) == "scope"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"status": {"a": 1}}, "status"),
        ({"campaign_id": 5}, "campaign_id"),
        ({"dispatch_id": "x"}, "dispatch_id"),
        ({"stats": "all good"}, "stats"),
        ({"stats": {"sent": -1}}, "stats.sent"),
        ({"stats": {"sent": 1.5}}, "stats.sent"),
        ({"stats": {"delivery_rate": 101}}, "stats.delivery_rate"),
        ({"stats": {"delivery_rate": 1e400}}, "stats.delivery_rate"),
        ({"stats": {"nested": {"a": [1]}}}, "stats.nested"),
        ({"errors": {"lead_id": "x"}}, "errors"),
        ({"errors": [{"error": "x"}] * 101}, "errors"),
        ({"errors": [{"lead_id": "x", "error": "y"}]}, "errors[0].lead_id"),
        ({"errors": [{"error": ["y"]}]}, "errors[0].error"),
    ],
)
def test_a_status_callback_with_a_wrong_field_is_a_400_and_records_nothing(claimed, change, field):
    launched, _ = claimed
    payload = {"campaign_id": str(launched.campaign_id), "status": "completed"} | change
    raw = json.dumps(payload).encode().replace(b"Infinity", b"1e400")
    assert refused(STATUS_URL, raw=raw) == field
    assert Dispatch.objects.get().reported_status == ""


def test_a_body_over_the_upload_limit_is_a_400(claimed):
    raw = b'{"messages": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'
    assert refused(LOG_URL, raw=raw) == "body"
