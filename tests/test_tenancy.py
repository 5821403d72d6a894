"""Staff of one organization cannot list, open, change, act on or export another's data."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignStep, MessageLog
from crm.models import Lead, Property


def test_the_lead_list_shows_only_the_staff_members_organization(client_a, lead_a, lead_b):
    page = client_a.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert "ana@example.com" in page
    assert "bruno@example.com" not in page


def test_a_superuser_sees_every_organization(admin_client_root, lead_a, lead_b):
    page = admin_client_root.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert "ana@example.com" in page and "bruno@example.com" in page


@pytest.mark.parametrize(
    "fixture, url_name",
    [
        ("lead_b", "admin:crm_lead_change"),
        ("property_b", "admin:crm_property_change"),
        ("campaign_b", "admin:campaigns_campaign_change"),
        ("account_b", "admin:campaigns_emailaccount_change"),
        ("message_b", "admin:campaigns_messagelog_change"),
        ("org_b", "admin:crm_organization_change"),
    ],
)
def test_opening_another_organizations_object_by_url_reveals_nothing(
    request, client_a, fixture, url_name
):
    obj = request.getfixturevalue(fixture)
    response = client_a.get(reverse(url_name, args=[obj.pk]), follow=True)
    assert response.redirect_chain[0][1] == 302
    assert str(obj) not in response.content.decode()


def test_another_organizations_step_cannot_be_opened(client_a, campaign_b):
    step = campaign_b.steps.get()
    response = client_a.get(reverse("admin:campaigns_campaignstep_change", args=[step.pk]))
    assert response.status_code == 302


def test_posting_a_change_to_another_organizations_lead_changes_nothing(client_a, lead_b):
    url = reverse("admin:crm_lead_change", args=[lead_b.pk])
    client_a.post(url, {"name": "Hacked", "email": "bruno@example.com", "status": "lost"})
    lead_b.refresh_from_db()
    assert (lead_b.name, lead_b.status) == ("Bruno Petit", "new")


def test_a_bulk_delete_posted_with_another_organizations_ids_deletes_nothing(
    client_a, lead_a, lead_b
):
    client_a.post(
        reverse("admin:crm_lead_changelist"),
        {"action": "delete_selected", "_selected_action": [lead_b.pk], "post": "yes"},
    )
    assert Lead.objects.filter(pk=lead_b.pk).exists()


def test_a_lookup_in_the_query_string_cannot_reach_another_organization(client_a, lead_b):
    url = (
        reverse("admin:crm_lead_changelist") + f"?organization__id__exact={lead_b.organization_id}"
    )
    assert "bruno@example.com" not in client_a.get(url).content.decode()


def test_autocomplete_offers_only_the_organizations_properties(client_a, property_a, property_b):
    response = client_a.get(
        reverse("admin:autocomplete"),
        {"app_label": "crm", "model_name": "lead", "field_name": "property", "term": ""},
    )
    titles = {item["text"] for item in response.json()["results"]}
    assert titles == {"Arts District loft"}


def test_foreign_key_choices_are_scoped(client_a, account_a, account_b):
    page = client_a.get(reverse("admin:campaigns_campaign_add")).content.decode()
    assert "alice@sunset.example" in page
    assert "bob@harbor.example" not in page


@pytest.mark.parametrize(
    "changelist", ["campaigns_messagelog", "campaigns_campaignstep", "campaigns_enrollment"]
)
def test_list_filters_name_only_the_organizations_campaigns(
    client_a, message_a, message_b, changelist
):
    # A second campaign with nothing in it: its name can only come from the filter.
    Campaign.objects.create(organization=message_a.organization, name="Autumn A")
    page = client_a.get(reverse(f"admin:{changelist}_changelist")).content.decode()
    assert "Autumn A" in page
    assert "Spring B" not in page


def test_the_lead_lists_source_filter_offers_only_the_organizations_sources(
    client_a, lead_a, lead_b
):
    Lead.objects.filter(pk=lead_a.pk).update(source="Zillow")
    Lead.objects.create(
        organization=lead_a.organization, name="B", email="b@x.example", source="Open house"
    )
    Lead.objects.filter(pk=lead_b.pk).update(source="Harbor secret list")
    page = client_a.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert "Zillow" in page and "Open house" in page
    assert "Harbor secret list" not in page
    filtered = client_a.get(reverse("admin:crm_lead_changelist"), {"source": "Zillow"})
    assert [lead.name for lead in filtered.context["cl"].result_list] == [lead_a.name]


def test_the_lead_lists_property_filter_names_only_the_organizations(
    client_a, property_a, property_b
):
    page = client_a.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert "Arts District loft" in page
    assert "Marais flat" not in page


def test_a_new_lead_gets_the_staff_members_organization(client_a, org_a):
    response = client_a.post(
        reverse("admin:crm_lead_add"),
        {"name": "New Lead", "email": "new@example.com", "status": "new"},
    )
    assert response.status_code == 302
    assert Lead.objects.get(email="new@example.com").organization == org_a


def test_a_duplicate_email_in_the_add_form_is_a_form_error_not_a_crash(client_a, lead_a):
    response = client_a.post(
        reverse("admin:crm_lead_add"),
        {"name": "Again", "email": "ANA@example.com", "status": "new"},
    )
    assert response.status_code == 200
    assert "A lead with this email address already exists." in response.content.decode()


def test_staff_of_two_organizations_choose_among_theirs_only(staff_a, org_b, client_a):
    from crm.models import Membership, Organization

    Membership.objects.create(user=staff_a, organization=org_b)
    Organization.objects.create(name="Elsewhere", slug="elsewhere", postal_address="x")
    page = client_a.get(reverse("admin:crm_property_add")).content.decode()
    assert "Harbor Homes" in page and "Sunset Realty" in page
    assert "Elsewhere" not in page


def test_the_export_contains_only_the_organizations_leads(client_a, lead_a, lead_b):
    response = client_a.post(
        reverse("admin:crm_lead_export"),
        {
            "format": "0",
            "resource": "0",
            **{f"leadresource_{name}": "on" for name in ["name", "email", "status"]},
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "ana@example.com" in body
    assert "bruno@example.com" not in body


def test_the_export_action_with_another_organizations_ids_exports_none_of_them(
    client_a, lead_a, lead_b
):
    response = client_a.post(
        reverse("admin:crm_lead_export"),
        {"format": "0", "resource": "0", "export_items": [lead_b.pk], "leadresource_email": "on"},
    )
    assert "bruno@example.com" not in response.content.decode()


def test_staff_without_a_membership_see_no_data(db, lead_a):
    from django.contrib.auth.models import User

    from tests.conftest import logged_in

    outsider = User.objects.create_user("eve", "eve@example.com", "pw", is_staff=True)
    response = logged_in(outsider).get(reverse("admin:crm_lead_changelist"))
    assert response.status_code == 403


def test_steps_and_messages_follow_their_campaigns_organization(client_a, message_a, message_b):
    page = client_a.get(reverse("admin:campaigns_campaignstep_changelist")).content.decode()
    assert "Hi A" in page and "Hi B" not in page
    assert MessageLog.objects.count() == 2
    assert CampaignStep.objects.count() == 2
    assert Campaign.objects.count() == 2
    assert Property.objects.count() == 0


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:campaigns_campaignstep_preview",
        "admin:campaigns_campaign_launch",
        "admin:campaigns_campaign_progress",
        "admin:campaigns_emailaccount_disconnect",
    ],
)
def test_a_malformed_id_in_a_custom_admin_page_is_a_404_not_a_500(client_a, url_name):
    assert client_a.get(reverse(url_name, args=["not-a-uuid"])).status_code in (403, 404)
