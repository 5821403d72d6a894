"""A campaign sent from each lead's agent is previewed and tested as each lead gets it: the
preview of a lead renders with the account that will send to them (their agent's), the test
goes through that account and says which, and another account can still be chosen."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaigns.models import Campaign, CampaignStep, MessageLog
from crm.models import Lead
from tests.conftest import connect_gmail

LIVE = reverse("admin:campaigns_campaign_step_preview")


@pytest.fixture
def step(campaign_a, gmail_account):
    Campaign.objects.filter(pk=campaign_a.pk).update(
        email_account=gmail_account, send_from_agents=True
    )
    CampaignStep.objects.filter(campaign=campaign_a).update(
        subject="From {{ sender.name }}", body_template="<p>Yours, {{ sender.name }}</p>"
    )
    return campaign_a.steps.get()


@pytest.fixture
def marias(org_a, maria, google):
    return connect_gmail(google, maria, org_a, "maria@gmail.example")


@pytest.fixture
def ana(org_a, maria):
    return Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com", owner=maria)


def preview_url(step, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("admin:campaigns_campaignstep_preview", args=[step.pk]) + f"?{query}"


def test_the_preview_of_a_lead_renders_from_their_agents_account(client_a, step, marias, ana):
    page = client_a.get(preview_url(step, lead=ana.pk)).content.decode()
    assert (
        '<p class="text-important font-semibold" id="preview-subject">From Maria Lopez</p>' in page
    )
    assert "from Maria Lopez &lt;maria@gmail.example&gt; (the account that sends this" in page
    assert "The lead's agent (maria@gmail.example)</option>" in page


def test_a_lead_without_an_agent_is_previewed_from_the_campaigns_account(
    client_a, step, marias, org_a
):
    cid = Lead.objects.create(organization=org_a, name="Cid", email="cid@example.com")
    page = client_a.get(preview_url(step, lead=cid.pk)).content.decode()
    assert 'id="preview-subject">From Alice Agent</p>' in page


def test_another_account_can_still_be_chosen(client_a, step, marias, ana, gmail_account):
    page = client_a.get(preview_url(step, lead=ana.pk, account=gmail_account.pk)).content.decode()
    assert 'id="preview-subject">From Alice Agent</p>' in page


def test_the_test_send_goes_through_the_leads_agents_account_and_says_so(
    client_a, step, marias, ana, google
):
    page = client_a.get(preview_url(step, lead=ana.pk)).content.decode()
    # No account chosen: the form leaves it to the lead, so the test goes as the preview showed.
    assert '<input type="hidden" name="account" value="">' in page
    response = client_a.post(preview_url(step), {"lead": ana.pk, "account": ""}, follow=True)
    notes = [str(m) for m in response.context["messages"]]
    assert notes == ["Test sent to alice@example.com from maria@gmail.example."]
    assert google.sent_from == ["maria@gmail.example"]
    assert str(google.sent[0]["From"]) == "Maria Lopez <maria@gmail.example>"
    assert MessageLog.objects.get(is_test=True).email_account == marias


def test_the_live_preview_renders_from_the_agent_as_ticked_on_the_form(client_a, step, marias, ana):
    data = {"campaign": step.campaign_id, "lead": ana.pk, "subject": "{{ sender.email }}"}
    data["body_template"] = "<p>x</p>"
    assert client_a.post(LIVE, data).json()["subject"] == "maria@gmail.example"
    unticked = client_a.post(LIVE, {**data, "send_from_agents": ""}).json()
    assert unticked["subject"] == "alice@gmail.example"


def test_render_step_prints_the_message_from_the_leads_agent(step, marias, ana):
    out = StringIO()
    call_command("render_step", str(step.pk), "--lead", "ana@example.com", stdout=out)
    assert "From: Maria Lopez <maria@gmail.example>" in out.getvalue()
