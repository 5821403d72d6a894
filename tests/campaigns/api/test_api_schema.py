"""Schemathesis against a live server: every input its generator derives from the OpenAPI
description of the n8n API, signed like n8n signs it, gets a documented answer, never a
500; a body that breaks the description is a 400. Then, for every field of every
endpoint, the hostile values a generator rarely draws (30 February, an object where a
string goes, NaN, a NUL, a lone surrogate, 100,000 levels of nesting) get a 400 naming
the field."""

import json
import uuid
from pathlib import Path

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.core import NOT_SET
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import response_schema_conformance

from campaigns.models import Dispatch
from campaigns.n8n import signing
from crm.models import Lead

DESCRIPTION = Path(__file__).resolve().parents[3] / "campaigns" / "n8n" / "openapi.yaml"
SCHEMA = schemathesis.openapi.from_path(DESCRIPTION)
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def n8n_dispatch(campaign_a, settings):
    from campaigns.launching import blasts as dispatch

    settings.N8N_WEBHOOK_SECRET = ["schema-secret"]
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"S{n}", email=f"s{n}@example.com")
        for n in range(30)
    )
    launched = dispatch.campaign_launch(campaign=campaign_a)
    Dispatch.objects.filter(pk=launched.pk).update(driver=Dispatch.Driver.N8N)
    return launched


def post(base_url, path, body: bytes):
    return requests.post(
        base_url + path,
        data=body,
        timeout=30,
        headers={
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(body, path=path),
        },
    )


@pytest.mark.django_db(transaction=True)
@SCHEMA.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_signed_calls_get_documented_answers_never_a_500(case, live_server, n8n_dispatch):
    if "dispatch_id" in (case.path_parameters or {}):
        case.path_parameters["dispatch_id"] = str(n8n_dispatch.pk)
    if case.body is NOT_SET:
        body = b""
    else:
        body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    response = post(live_server.url, case.formatted_path, body)
    assert response.status_code < 500 or response.status_code == 502, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    documented = case.operation.definition.raw["responses"]
    assert str(response.status_code) in documented, (case.formatted_path, response.text)
    if case.meta.is_negative_at(ParameterLocation.BODY):
        assert response.status_code == 400, (body[:300], response.text)
    if response.status_code == 400:
        assert response.json()["field"], response.text
    case.validate_response(response, checks=[response_schema_conformance])


def components(schema, description):
    """The schema with its $ref (one level of components) resolved."""
    if "$ref" in schema:
        return description["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def sample(schema):
    """A valid value of a (resolved) property schema."""
    if "enum" in schema:
        return schema["enum"][0]
    return {
        "uuid": str(uuid.uuid4()),
        "date-time": "2026-01-01T10:00:00Z",
    }.get(schema.get("format"), {"integer": 1, "number": 1, "string": "x"}.get(schema["type"]))


def hostile(schema):
    """Values of the wrong type, or of the right type but impossible, for one property."""
    values = [{"a": 1}, ["x"], True]
    kind, form = schema.get("type"), schema.get("format")
    if kind == "string":
        values += [12, "a\x00b", "\ud800"]
    if form == "date-time":
        values += ["2024-02-30T10:00:00Z", "2024-02-03T10:00:00", "2024-02-03 10:00:00Z"]
    if form == "uuid":
        values += ["not-a-uuid", "{12345678-1234-1234-1234-123456789012}"]
    if "pattern" in schema or "enum" in schema:
        values += ["x" * 10_000]
    if kind in ("integer", "number"):
        values += ["1", 10**30, -(10**30), schema.get("maximum", 0) + 1]
    if kind == "integer":
        values += [1.5]
    if kind in ("object", "array"):
        values = [v for v in values if not isinstance(v, dict | list)] + ["x", [1], {"z": 1}]
    if kind == "boolean":
        values = [{"a": 1}, ["x"], "true", 1, 0]
    return values


def bodies():
    """(path, field, hostile body) for every property of every operation's body."""
    description = yaml.safe_load(DESCRIPTION.read_text())
    dispatch_id = str(uuid.uuid4())
    for template, item in description["paths"].items():
        path = template.replace("{dispatch_id}", dispatch_id)
        yield path, "body", DEEP
        yield path, "body", '{"a": NaN}'
        content = item["post"].get("requestBody", {}).get("content", {})
        schema = content["application/json"]["schema"]
        variants = [components(s, description) for s in schema.get("oneOf", [schema])]
        for variant in (components(v, description) for v in variants):
            properties = variant.get("properties", {})
            resolved = {name: components(p, description) for name, p in properties.items()}
            valid = {name: sample(resolved[name]) for name in variant.get("required", [])}
            for name, prop in resolved.items():
                for value in hostile(prop):
                    yield path, name, json.dumps(valid | {name: value})
            if variant.get("additionalProperties") is False:
                yield path, "unexpected", json.dumps(valid | {"unexpected": 1})


@pytest.mark.django_db(transaction=True)
def test_hostile_values_in_every_field_of_every_endpoint_get_a_400_naming_it(
    live_server, n8n_dispatch
):
    cases = list(bodies())
    assert len(cases) > 100  # the generator found the fields
    for path, field, body in cases:
        response = post(live_server.url, path, body.encode())
        assert response.status_code == 400, (path, body[:200], response.text[:300])
        named = response.json()["field"]
        assert named.split(".")[0].split("[")[0] == field, (path, body[:200], named)
