"""Steps are written on their campaign's page, by any member of the agency: the staff role
gets the permissions Django's inlines check through the staff group."""

from django.contrib.auth.models import Group
from django.urls import reverse

from campaigns.admin.forms import STEP_HAS_SENT
from campaigns.models import CampaignStep
from crm.members import STAFF_GROUP
from settings.unfold import UNFOLD
from tests.conftest import campaign_page, logged_in, make_staff, saved_steps


def change_url(campaign):
    return reverse("admin:campaigns_campaign_change", args=[campaign.pk])


def test_an_agent_sees_and_edits_the_steps_on_the_campaign_page(org_a, campaign_a):
    agent = make_staff("dana", org_a, role="agent")
    page = logged_in(agent).get(change_url(campaign_a)).content.decode()
    assert 'id="steps-group"' in page
    assert 'name="steps-0-subject"' in page and 'name="steps-0-name"' in page
    assert 'id="step-preview"' in page


def test_a_step_is_added_from_the_campaign_page(org_a, campaign_a):
    client = logged_in(make_staff("dana", org_a, role="agent"))
    new_step = {
        "name": "Follow-up",
        "order": 2,
        "offset_days": 3,
        "subject": "Still looking in {{ lead.city }}?",
        "body_template": "<p>Hi {{ lead.first_name }}</p>",
    }
    steps = [*saved_steps(campaign_a), new_step]
    response = client.post(change_url(campaign_a), campaign_page(campaign_a, steps))
    assert response.status_code == 302
    added = campaign_a.steps.get(order=2)
    assert (added.name, added.offset_days) == ("Follow-up", 3)


def test_a_template_mistake_is_shown_on_the_step_with_its_line(client_a, campaign_a):
    steps = saved_steps(campaign_a)
    steps[0]["body_template"] = "<p>Hi</p>\n<p>{{ lead.first_nam }}</p>"
    response = client_a.post(change_url(campaign_a), campaign_page(campaign_a, steps))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: There is no field “first_nam” on a lead. Did you mean “first_name”?" in page
    assert campaign_a.steps.get().body_template == "<p>A</p>"


def test_a_step_that_has_sent_cannot_be_deleted_from_the_campaign_page(
    client_a, campaign_a, message_a
):
    steps = saved_steps(campaign_a)
    steps[0]["DELETE"] = "on"
    response = client_a.post(change_url(campaign_a), campaign_page(campaign_a, steps))
    assert response.status_code == 200
    assert f"Step 1 · Hi A: {STEP_HAS_SENT}" in response.content.decode()
    assert CampaignStep.objects.filter(campaign=campaign_a).exists()


def test_new_members_join_the_staff_group_that_carries_the_step_permissions(org_a):
    agent = make_staff("dana", org_a, role="agent")
    assert agent.groups.filter(name=STAFF_GROUP).exists()
    assert agent.has_perms(
        [f"campaigns.{action}_campaignstep" for action in ("view", "add", "change", "delete")]
    )
    assert not agent.has_perm("auth.change_user")
    assert Group.objects.get(name=STAFF_GROUP).permissions.count() > 0


def test_a_member_added_by_a_superuser_joins_the_staff_group(admin_client_root, org_a):
    from django.contrib.auth.models import User

    newcomer = User.objects.create_user("erin", "erin@example.com", "pw", is_staff=True)
    response = admin_client_root.post(
        reverse("admin:crm_membership_add"),
        {"user": newcomer.pk, "organization": org_a.pk, "role": "agent"},
    )
    assert response.status_code == 302
    assert newcomer.groups.filter(name=STAFF_GROUP).exists()


def test_the_sidebar_has_no_steps_menu_and_the_steps_list_is_not_offered(client_a):
    links = [
        str(item["link"]) for group in UNFOLD["SIDEBAR"]["navigation"] for item in group["items"]
    ]
    assert reverse("admin:campaigns_campaignstep_changelist") not in links
    page = client_a.get(reverse("admin:index")).content.decode()
    assert reverse("admin:campaigns_campaignstep_changelist") not in page


def test_the_staff_group_is_made_again_with_its_permissions_when_missing(org_a):
    Group.objects.filter(name=STAFF_GROUP).delete()
    agent = make_staff("dana", org_a, role="agent")
    assert agent.has_perm("campaigns.change_campaignstep")


def test_the_migration_gives_the_staff_group_the_same_permissions_as_the_code():
    import importlib

    from crm.members import STAFF_PERMISSIONS

    migration = importlib.import_module("campaigns.migrations.0006_step_name_and_staff_group")
    assert (migration.STAFF_GROUP, migration.STAFF_PERMISSIONS) == (
        STAFF_GROUP,
        STAFF_PERMISSIONS,
    )
