"""A step whose template does not compile, or escapes the sandbox, is refused on the form."""

from django.urls import reverse

from campaigns.models import CampaignStep


def step_form(campaign, **overrides):
    data = {
        "campaign": campaign.pk,
        "order": 2,
        "offset_days": 3,
        "subject": "Hi {{ lead.name }}",
        "body_template": "<p>Hello {{ lead.first_name }}</p>",
        "text_template": "",
    }
    return {**data, **overrides}


def test_a_valid_step_is_saved(client_a, campaign_a):
    response = client_a.post(reverse("admin:campaigns_campaignstep_add"), step_form(campaign_a))
    assert response.status_code == 302
    assert CampaignStep.objects.filter(campaign=campaign_a, order=2).exists()


def test_a_typo_is_shown_on_the_form_with_its_line(client_a, campaign_a):
    response = client_a.post(
        reverse("admin:campaigns_campaignstep_add"),
        step_form(campaign_a, body_template="<p>Hi</p>\n<p>{{ lead.frist_name }}</p>"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: There is no field “frist_name” on a lead." in page
    assert not CampaignStep.objects.filter(order=2).exists()


def test_a_sandbox_escape_is_refused_at_save(client_a, campaign_a):
    response = client_a.post(
        reverse("admin:campaigns_campaignstep_add"),
        step_form(campaign_a, subject="{{ ''.__class__.__mro__ }}"),
    )
    assert "attributes starting with “_” are not allowed" in response.content.decode()
    assert not CampaignStep.objects.filter(order=2).exists()
