"""Only an owner changes the agency's slug and time zone; a manager its name and postal
address; an agent reads the agency's page and changes nothing."""

from django.urls import reverse

from crm.members import membership_create
from crm.models import Organization
from tests.conftest import logged_in, make_staff


def post(client, organization, **changes):
    data = {
        "name": organization.name,
        "slug": organization.slug,
        "timezone": organization.timezone,
        "country": organization.country,
        "language": organization.language,
        "currency": organization.currency,
        "postal_address": organization.postal_address,
        **changes,
    }
    return client.post(reverse("admin:crm_organization_change", args=[organization.pk]), data)


CHANGES = {"name": "Sunset Homes", "slug": "hijacked", "timezone": "Asia/Tokyo"}


def test_an_agent_reads_the_agency_and_changes_nothing(org_a):
    agent = logged_in(make_staff("dana", org_a, role="agent"))
    page = agent.get(reverse("admin:crm_organization_change", args=[org_a.pk]))
    assert page.status_code == 200
    assert 'name="slug"' not in page.content.decode()
    assert "Only an owner can change it." in page.content.decode()
    assert post(agent, org_a, **CHANGES).status_code == 403
    org_a.refresh_from_db()
    assert (org_a.name, org_a.slug, org_a.timezone) == (
        "Sunset Realty",
        "sunset",
        "America/Los_Angeles",
    )


def test_a_manager_changes_the_name_but_not_the_slug_or_time_zone(org_a):
    manager = logged_in(make_staff("max", org_a, role="manager"))
    page = manager.get(reverse("admin:crm_organization_change", args=[org_a.pk])).content.decode()
    assert 'name="name"' in page
    assert 'name="slug"' not in page and 'name="timezone"' not in page
    assert post(manager, org_a, **CHANGES).status_code == 302
    org_a.refresh_from_db()
    assert (org_a.name, org_a.slug, org_a.timezone) == (
        "Sunset Homes",
        "sunset",
        "America/Los_Angeles",
    )


def test_an_owner_changes_the_slug_and_time_zone(org_a, staff_a):
    response = post(logged_in(staff_a), org_a, **CHANGES)
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.slug, org_a.timezone) == ("hijacked", "Asia/Tokyo")


def test_an_owner_of_one_agency_is_an_agent_of_another(org_a, org_b):
    user = make_staff("olga", org_a, role="owner")
    membership_create(user=user, organization=org_b, role="agent")
    assert post(logged_in(user), org_b, slug="taken-over").status_code == 403
    assert Organization.objects.get(pk=org_b.pk).slug == "harbor"
