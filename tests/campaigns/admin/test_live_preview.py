"""The live preview renders the step as typed, unsaved, for a lead of the campaign's
audience, exactly as it would be sent; only by POST with the CSRF token, and only within
the user's organization."""

import json

import pytest
from django.urls import reverse

from campaigns.admin.live_preview import MERGE_FIELDS
from campaigns.content.rendering import SAMPLE_CONTEXT, render
from crm.models import Lead
from tests.conftest import logged_in

URL = reverse("admin:campaigns_campaign_step_preview")


def preview(client, campaign=None, **fields):
    data = {"campaign": campaign.pk if campaign else "", "subject": "", "body_template": ""}
    response = client.post(URL, {**data, **fields})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def pasadena(org_a, campaign_a):
    """The campaign goes to Pasadena leads: Ana is in its audience, Zoe is not."""
    campaign_a.audience_filter = {"city": "Pasadena"}
    campaign_a.save()
    Lead.objects.create(organization=org_a, name="Zoe Far", email="zoe@example.com", city="Reno")
    return Lead.objects.create(
        organization=org_a, name="Ana Souza", email="ana@example.com", city="Pasadena"
    )


def test_the_unsaved_step_is_rendered_for_a_lead_of_the_audience(client_a, campaign_a, pasadena):
    answer = preview(
        client_a,
        campaign_a,
        subject="Homes in {{ lead.city }}",
        body_template="<h1>Hello {{ lead.first_name }}</h1>",
    )
    assert answer["subject"] == "Homes in Pasadena"
    assert "<h1>Hello Ana</h1>" in answer["html"]
    assert "Hello Ana" in answer["text"] and "Unsubscribe" in answer["text"]  # the footer
    assert [lead["label"] for lead in answer["leads"]] == ["Ana Souza <ana@example.com>"]
    assert campaign_a.steps.get().subject == "Hi A"  # nothing saved


def test_a_mistake_comes_back_in_plain_words_with_its_part(client_a, campaign_a, pasadena):
    answer = preview(
        client_a, campaign_a, subject="Hi", body_template="<p>\n{% if lead.city %}Near you</p>"
    )
    assert answer["error"] == {
        "part": "body",
        "line": 2,
        "message": "An {% if %} on line 2 is never closed: add {% endif %}.",
    }


def test_another_lead_can_be_chosen_but_only_in_the_organization(
    client_a, campaign_a, pasadena, lead_b
):
    zoe = Lead.objects.get(email="zoe@example.com")
    assert preview(client_a, campaign_a, subject="{{ lead.name }}", lead=zoe.pk)["subject"] == (
        "Zoe Far"
    )
    answer = preview(client_a, campaign_a, subject="{{ lead.name }}", lead=lead_b.pk)
    assert answer["subject"] == "Ana Souza"  # the other agency's lead is not offered


def test_another_organizations_campaign_is_not_found(client_a, campaign_b):
    response = client_a.post(URL, {"campaign": campaign_b.pk, "subject": "x"})
    assert response.status_code == 404


def test_a_new_campaign_previews_with_a_lead_of_the_agency(client_a, lead_a):
    answer = preview(client_a, subject="Hi {{ lead.first_name }}", body_template="<p>x</p>")
    assert answer["subject"] == "Hi Ana"
    assert answer["note"].startswith("Nobody is in this campaign's audience yet")


def test_the_preview_answers_only_a_post_with_the_csrf_token(staff_a, campaign_a, lead_a):
    client = logged_in(staff_a)
    assert client.get(URL).status_code == 405
    client.handler.enforce_csrf_checks = True
    assert client.post(URL, {"campaign": campaign_a.pk, "subject": "x"}).status_code == 403


def test_staff_of_no_agency_and_anonymous_visitors_get_nothing(client, campaign_a):
    response = client.post(URL, {"campaign": campaign_a.pk, "subject": "x"})
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("label, code", MERGE_FIELDS)
def test_every_merge_field_renders_for_a_lead_with_nothing_filled_in(label, code):
    code = str(code)  # in the language of the staff member who inserts it
    lead = {key: "" for key in SAMPLE_CONTEXT["lead"]}
    context = {**SAMPLE_CONTEXT, "lead": lead, "property": None}
    rendered = render(code, context, html=True)
    assert "{{" not in rendered
    if "default(" in code:
        assert rendered == json.loads(code.split("default(")[1].split(",")[0])
