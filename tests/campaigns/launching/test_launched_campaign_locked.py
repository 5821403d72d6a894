"""Once launched, what decides who gets what is fixed: the page shows it read-only and says
why, a changed POST changes none of it, the model refuses it, and Duplicate makes a draft."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns.launching import blasts
from campaigns.models import LOCKED_CAMPAIGN, LOCKED_STEP, Campaign, CampaignStep
from campaigns.sequences import schedule
from crm.models import Lead


@pytest.fixture
def launched(campaign_a, org_a):
    Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com", city="Pasadena")
    campaign_a.audience_filter = {"city": "Pasadena"}
    campaign_a.save()
    blasts.campaign_launch(campaign=campaign_a)
    campaign_a.refresh_from_db()
    return campaign_a


def change_url(campaign):
    return reverse("admin:campaigns_campaign_change", args=[campaign.pk])


def posted_form(response) -> dict:
    """The change form as the browser would post it: every enabled field with its value."""
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {management.add_prefix(name): management[name].value() for name in management.fields}
        )
        forms += inline.formset.forms
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if field.disabled or value in (None, False):
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def test_the_page_shows_the_launch_and_the_locked_fields(client_a, launched):
    response = client_a.get(change_url(launched))
    page = response.content.decode()
    assert "This campaign was launched on" in page
    assert "can no longer change" in page and "duplicate it" in page
    form = response.context["adminform"].form
    assert all(
        form.fields[name].disabled for name in ("type", "audience", "email_account", "filter_city")
    )
    assert not form.fields["name"].disabled


def test_a_sent_blasts_steps_are_shown_read_only(admin_client_root, launched):
    # (The superuser: staff's inline of steps depends on model permissions, another matter.)
    response = admin_client_root.get(change_url(launched))
    steps = response.context["inline_admin_formsets"][0]
    assert not steps.has_change_permission and not steps.has_add_permission
    assert not steps.has_delete_permission


def test_a_post_with_changed_audience_and_type_changes_neither(
    client_a, launched, org_a, account_a
):
    data = posted_form(client_a.get(change_url(launched)))
    data.update(
        name="Spring A, renamed", type="sequence", audience="chosen", filter_city="Glendale"
    )
    data["email_account"] = str(account_a.pk)
    response = client_a.post(change_url(launched), data)
    assert response.status_code == 302
    launched.refresh_from_db()
    assert launched.name == "Spring A, renamed"  # what may change, changed
    assert launched.type == Campaign.Type.BLAST
    assert launched.audience == Campaign.Audience.FILTER
    assert launched.audience_filter == {"city": "Pasadena"}


def test_the_model_refuses_a_changed_audience_or_type(launched):
    launched.audience_filter = {"city": "Glendale"}
    with pytest.raises(ValidationError) as refused:
        launched.full_clean()
    assert refused.value.messages == [str(LOCKED_CAMPAIGN)]
    launched.refresh_from_db()
    launched.type = Campaign.Type.SEQUENCE
    with pytest.raises(ValidationError):
        launched.full_clean()


def test_a_sent_blasts_step_cannot_change_or_be_added_to(client_a, launched):
    step = launched.steps.get()
    step.subject = "Another subject"
    with pytest.raises(ValidationError) as refused:
        step.full_clean()
    assert refused.value.messages == [str(LOCKED_STEP)]
    extra = CampaignStep(campaign=launched, order=2, subject="More", body_template="<p>x</p>")
    with pytest.raises(ValidationError):
        extra.full_clean()
    url = reverse("admin:campaigns_campaignstep_change", args=[step.pk])
    page = client_a.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    client_a.post(
        url, {"campaign": launched.pk, "order": 1, "subject": "Changed", "body_template": "x"}
    )
    step.refresh_from_db()
    assert step.subject == "Hi A"


def test_a_running_sequences_steps_stay_editable(admin_client_root, campaign_a, org_a):
    Campaign.objects.filter(pk=campaign_a.pk).update(type=Campaign.Type.SEQUENCE)
    campaign_a.refresh_from_db()
    Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com")
    schedule.sequence_activate(campaign=campaign_a)
    step = campaign_a.steps.get()
    step.subject = "Fixed a typo"
    step.full_clean()
    response = admin_client_root.get(change_url(campaign_a))
    assert response.context["inline_admin_formsets"][0].has_change_permission
    assert "Its steps can still be edited" in response.content.decode()


def test_a_draft_stays_fully_editable(client_a, campaign_a):
    form = client_a.get(change_url(campaign_a)).context["adminform"].form
    assert not any(field.disabled for field in form.fields.values())
    campaign_a.type = Campaign.Type.SEQUENCE
    campaign_a.full_clean()


def test_duplicate_makes_a_draft_copy_with_the_steps(client_a, launched):
    url = reverse("admin:campaigns_campaign_duplicate", args=[launched.pk])
    assert "Make a draft copy" in client_a.get(url).content.decode()
    assert Campaign.objects.count() == 1  # a GET changes nothing
    response = client_a.post(url)
    copy = Campaign.objects.exclude(pk=launched.pk).get()
    assert response["Location"] == change_url(copy)
    assert (copy.name, copy.status, copy.launched_at) == ("Spring A (copy)", "draft", None)
    assert copy.audience_filter == {"city": "Pasadena"}
    assert copy.email_account_id == launched.email_account_id
    assert list(copy.steps.values_list("order", "subject")) == [(1, "Hi A")]
    launched.refresh_from_db()
    assert launched.status == Campaign.Status.ACTIVE


def test_staff_cannot_duplicate_another_agencys_campaign(client_b, launched):
    response = client_b.post(reverse("admin:campaigns_campaign_duplicate", args=[launched.pk]))
    assert response.status_code in (302, 404)
    assert Campaign.objects.count() == 1
