"""Schemathesis against a live server: every input its generator derives from the OpenAPI
description of the n8n API, signed like n8n signs it, gets a documented answer, never a 500."""

import json
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from campaigns import signing
from campaigns.models import Dispatch
from crm.models import Lead

SCHEMA = schemathesis.openapi.from_path(
    Path(__file__).resolve().parents[2] / "campaigns" / "n8n" / "openapi.yaml"
)


@pytest.fixture
def n8n_dispatch(campaign_a, settings):
    from campaigns import dispatch

    settings.N8N_WEBHOOK_SECRET = ["schema-secret"]
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"S{n}", email=f"s{n}@example.com")
        for n in range(30)
    )
    launched = dispatch.campaign_launch(campaign=campaign_a)
    Dispatch.objects.filter(pk=launched.pk).update(driver=Dispatch.Driver.N8N)
    return launched


@pytest.mark.django_db(transaction=True)
@SCHEMA.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_signed_calls_never_make_the_api_fail(case, live_server, n8n_dispatch):
    if "dispatch_id" in (case.path_parameters or {}):
        case.path_parameters["dispatch_id"] = str(n8n_dispatch.pk)
    body = (
        b""
        if case.body is None or not isinstance(case.body, (dict, list))
        else (json.dumps(case.body).encode())
    )
    path = case.formatted_path
    response = requests.post(
        live_server.url + path,
        data=body,
        timeout=30,
        headers={"Content-Type": "application/json", signing.HEADER: signing.sign(body)},
    )
    assert response.status_code < 500 or response.status_code == 502, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    documented = case.operation.definition.raw["responses"]
    assert str(response.status_code) in documented, (path, response.status_code, response.text)
