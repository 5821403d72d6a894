"""Signed calls between Django and n8n: forged, stale, altered, malformed, rotated, and
bound to one method, one path and one request id."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.n8n.signing import SignatureError, new_request_id, sign, signature, verify

PATH = "/api/campaigns/dispatches/6f1c1f5e-6c5e-4b8e-9a47-1d2d7a1e0b11/token/"
REQUEST_ID = "req_0123456789abcdef"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.N8N_WEBHOOK_SECRET = ["current-secret"]
    settings.N8N_SIGNATURE_TOLERANCE_SECONDS = 300


def check(header, body=b"{}", *, method="POST", path=PATH):
    return verify(header, method=method, path=path, body=body)


def test_a_signed_call_verifies_and_gives_its_request_id():
    body = b'{"campaign_id": "x"}'
    assert check(sign(body, path=PATH, request_id=REQUEST_ID), body) == REQUEST_ID


def test_each_call_gets_a_new_request_id_of_the_allowed_shape():
    ids = {new_request_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(16 <= len(n) <= 64 and n.replace("-", "").replace("_", "").isalnum() for n in ids)


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_outside_five_minutes_either_way_is_refused(offset):
    header = sign(b"{}", path=PATH, timestamp=int(time.time()) + offset)
    with pytest.raises(SignatureError):
        check(header)


def test_the_wrong_key_is_refused():
    with pytest.raises(SignatureError):
        check(sign(b"{}", path=PATH, secret="other"))


@pytest.mark.parametrize("changed", [b'{"b": 1, "a": 2}', b'{"a": 2,  "b": 1}', b'{"a":2,"b":1}'])
def test_a_body_changed_after_signing_is_refused(changed):
    body = b'{"a": 2, "b": 1}'
    with pytest.raises(SignatureError):
        check(sign(body, path=PATH), changed)


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", PATH.replace("6f1c1f5e", "00000000")),  # another dispatch
        ("POST", PATH.replace("/token/", "/claim/")),  # another endpoint
        ("POST", "/api/campaigns/tick/"),
        ("POST", "/webhook/campaign-dispatch"),  # the other direction
        ("PUT", PATH),
    ],
)
def test_a_signature_holds_for_its_method_and_path_only(method, path):
    header = sign(b"{}", path=PATH)
    with pytest.raises(SignatureError):
        check(header, method=method, path=path)


def test_the_request_id_is_signed_too():
    now = int(time.time())
    value = signature(
        "current-secret", timestamp=now, request_id=REQUEST_ID, method="POST", path=PATH, body=b""
    )
    check(f"t={now},n={REQUEST_ID},v1={value}", b"")
    with pytest.raises(SignatureError):
        check(f"t={now},n={REQUEST_ID}x,v1={value}", b"")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "v1",
        "v1,!!!",
        "t=1=2,v1=x",
        "t=abc,v1=00",
        "t=,v1=",
        "v1=abc",
        "t={now}",
        "t={now},v1=00",  # no request id
        "t={now},n=short,v1=00",
        f"t={{now}},n={'x' * 65},v1=00",
        "t={now},n=has.a.dot.in.it.here,v1=00",
        f"t={{now}},n={REQUEST_ID},n={REQUEST_ID},v1=00",
        "t=1,t=2,v1=00",
        "t=\u00b2,n=req_0123456789abcdef,v1=00",  # "²".isdigit() is true; int("²") raises
        f"t={{now}},n={REQUEST_ID},v1=\u00e9",  # compare_digest: non-ASCII
        "x" * 65536,
    ],
)
def test_malformed_headers_are_refused_never_crash(header):
    # The current time is put in here, not in the ids: parallel workers collect the same ids.
    header = header.replace("{now}", str(int(time.time())))
    with pytest.raises(SignatureError):
        check(header)


def test_during_a_rotation_old_and_new_secrets_both_verify(settings):
    old = sign(b"{}", path=PATH, secret="old-secret")
    settings.N8N_WEBHOOK_SECRET = ["new-secret", "old-secret"]
    check(old)
    check(sign(b"{}", path=PATH))
    settings.N8N_WEBHOOK_SECRET = ["new-secret"]
    with pytest.raises(SignatureError):
        check(old)


def test_several_v1_values_verify_if_one_matches():
    now = int(time.time())
    good = signature(
        "current-secret", timestamp=now, request_id=REQUEST_ID, method="POST", path=PATH, body=b"{}"
    )
    check(f"t={now},n={REQUEST_ID},v1={'0' * 64},v1={good}")


@given(body=st.binary(max_size=300), path=st.text(min_size=1, max_size=80))
def test_property_verify_accepts_what_sign_produced(body, path):
    verify(sign(body, path=path, secret="current-secret"), method="POST", path=path, body=body)


@given(
    body=st.binary(min_size=1, max_size=200),
    position=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
)
def test_property_any_one_byte_change_to_the_body_fails(body, position, flip):
    header = sign(body, path=PATH, secret="current-secret")
    index = position % len(body)
    changed = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    with pytest.raises(SignatureError):
        check(header, changed)


@given(other=st.text(min_size=1, max_size=80))
def test_property_any_other_path_fails(other):
    if other == PATH:
        return
    with pytest.raises(SignatureError):
        check(sign(b"{}", path=PATH), path=other)


@given(position=st.integers(min_value=0), digit=st.sampled_from("0123456789abcdef"))
def test_property_any_change_to_the_signature_or_timestamp_fails(position, digit):
    body, now = b'{"a": 1}', int(time.time())
    good = signature(
        "current-secret", timestamp=now, request_id=REQUEST_ID, method="POST", path=PATH, body=body
    )
    index = position % len(good)
    if good[index] == digit:
        return
    changed = good[:index] + digit + good[index + 1 :]
    with pytest.raises(SignatureError):
        check(f"t={now},n={REQUEST_ID},v1={changed}", body)
    with pytest.raises(SignatureError):
        check(f"t={now - 1},n={REQUEST_ID},v1={good}", body)
