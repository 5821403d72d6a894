"""Preview a step for a lead exactly as it would be sent, and send it as a test."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaigns.models import CampaignStep, MessageLog
from campaigns.outbox import sending
from crm.models import Lead


def preview_url(step, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("admin:campaigns_campaignstep_preview", args=[step.pk]) + f"?{query}"


@pytest.fixture
def step_a(campaign_a):
    step = campaign_a.steps.get()
    step.subject = "Homes in {{ lead.city }} for {{ lead.first_name }}"
    step.body_template = "<p>Hi {{ lead.name }}</p>"
    step.save()
    return step


def test_the_preview_shows_the_rendering_for_the_chosen_lead(client_a, step_a, lead_a, org_a):
    Lead.objects.filter(pk=lead_a.pk).update(
        city="Pasadena", first_name="<b>Ana</b>", name="<b>Ana</b> Souza"
    )
    page = client_a.get(preview_url(step_a, lead=lead_a.pk)).content.decode()
    assert "Homes in Pasadena for &lt;b&gt;Ana&lt;/b&gt;" in page
    # The HTML sits in a sandboxed iframe, escaped twice: once by the template, once for srcdoc.
    assert 'sandbox=""' in page and "&lt;p&gt;Hi &amp;lt;b&amp;gt;Ana" in page
    rendered = sending.render_for(
        step_a, Lead.objects.get(pk=lead_a.pk), step_a.campaign.email_account
    )
    assert rendered.text.splitlines()[0] in page.replace("&lt;", "<").replace("&gt;", ">")


def test_a_template_error_for_this_lead_is_shown_not_raised(client_a, step_a, lead_a):
    CampaignStep.objects.filter(pk=step_a.pk).update(body_template="{{ property.title }}")
    page = client_a.get(preview_url(step_a, lead=lead_a.pk)).content.decode()
    assert "This step cannot be rendered for this lead" in page


def test_another_organizations_step_cannot_be_previewed(client_b, step_a):
    assert client_b.get(preview_url(step_a)).status_code == 404


def test_another_organizations_lead_cannot_be_picked(client_a, step_a, lead_a, lead_b):
    page = client_a.get(preview_url(step_a, lead=lead_b.pk)).content.decode()
    assert "bruno@example.com" not in page and "ana@example.com" in page


def test_send_test_delivers_to_the_staff_member_and_is_logged_as_a_test(
    client_a, step_a, lead_a, gmail_account, google
):
    step_a.campaign.email_account = gmail_account
    step_a.campaign.save()
    response = client_a.post(
        preview_url(step_a), {"lead": lead_a.pk, "account": gmail_account.pk}, follow=True
    )
    notes = [str(m) for m in response.context["messages"]]
    assert notes == [f"Test sent to alice@example.com from {gmail_account.email_address}."]
    [message] = google.sent
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "[Test] Homes in for Ana"
    log = MessageLog.objects.get()
    assert log.is_test and log.status == MessageLog.Status.SENT
    # A test never takes the (step, lead) slot of the real send.
    MessageLog.objects.create(
        organization=log.organization, campaign=log.campaign, campaign_step=step_a, lead=lead_a
    )


def test_a_failed_test_send_says_why(client_a, step_a, lead_a, gmail_account, google):
    from tests.google_standin import google_error

    google.send_failures = [google_error(400, "invalidArgument", "Invalid To header")]
    response = client_a.post(
        preview_url(step_a), {"lead": lead_a.pk, "account": gmail_account.pk}, follow=True
    )
    assert "The test could not be sent: Gmail refused the address (invalid To header)" in str(
        next(iter(response.context["messages"]))
    )


def test_the_campaign_preview_opens_its_first_step(client_a, campaign_a):
    url = reverse("admin:campaigns_campaign_preview", args=[campaign_a.pk])
    response = client_a.get(url)
    assert response["Location"] == preview_url(campaign_a.steps.get()).rstrip("?")


def test_render_step_prints_the_message_as_sent(step_a, lead_a):
    out = StringIO()
    call_command("render_step", str(step_a.pk), "--lead", "ANA@example.com", stdout=out)
    text = out.getvalue()
    assert "Subject: Homes in for Ana" in text
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in text
    assert "To: Ana Souza <ana@example.com>" in text


def test_render_step_fails_with_the_reason(step_a, lead_a):
    CampaignStep.objects.filter(pk=step_a.pk).update(subject="{{ lead.nope }}")
    with pytest.raises(
        CommandError, match="The subject cannot be rendered: Line 1: There is no field “nope”"
    ):
        call_command("render_step", str(step_a.pk), "--lead", "ana@example.com")


def test_malformed_ids_in_the_query_string_are_ignored_not_errors(client_a, step_a, lead_a):
    response = client_a.get(preview_url(step_a, lead="not-a-uuid", account="also-not"))
    assert response.status_code == 200 and "ana@example.com" in response.content.decode()
