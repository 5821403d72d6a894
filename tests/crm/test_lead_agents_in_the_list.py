"""The leads list by agent: a filter (an agent, or no agent), a bulk "Assign to agent…"
that asks first and offers only members of the staff member's agency, and the lead form's
agent, which only a member of the lead's agency can be."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.members import membership_create
from crm.models import OWNER_NOT_MEMBER, Lead
from crm.owner_admin import CHOOSE_AN_AGENT
from tests.conftest import logged_in, make_staff

LIST = reverse("admin:crm_lead_changelist")


@pytest.fixture
def leads(org_a, maria):
    ana = Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com", owner=maria)
    ben = Lead.objects.create(organization=org_a, name="Ben", email="ben@example.com")
    return ana, ben


def listed(client, query: str) -> set[str]:
    response = client.get(f"{LIST}?{query}")
    return {lead.email for lead in response.context["cl"].result_list}


def test_the_list_filters_by_agent_and_by_no_agent(client_a, leads, maria, tom):
    assert listed(client_a, f"agent={maria.pk}") == {"ana@example.com"}
    assert listed(client_a, "agent=none") == {"ben@example.com"}
    assert listed(client_a, f"agent={tom.pk}") == set()


def test_the_agent_filter_offers_only_members_of_the_staff_members_agency(client_a, leads, staff_b):
    page = client_a.get(LIST).content.decode()
    assert "Maria Lopez" in page
    assert "bob" not in page
    # Another agency's member, asked for by id, finds nothing (not that agency's leads).
    assert listed(client_a, f"agent={staff_b.pk}") == set()


def test_assigning_asks_first_with_only_the_agencys_members(client_a, leads, maria, staff_b):
    _, ben = leads
    response = client_a.post(LIST, {"action": "assign_to_agent", "_selected_action": [ben.pk]})
    page = response.content.decode()
    assert "Assign 1 lead to an agent" in page
    assert f'<option value="{maria.pk}">Maria Lopez (maria@example.com)</option>' in page
    assert f'value="{staff_b.pk}"' not in page
    ben.refresh_from_db()
    assert ben.owner is None


def test_the_confirmed_assignment_gives_the_leads_their_agent(client_a, leads, tom):
    ana, ben = leads
    response = client_a.post(
        LIST,
        {
            "action": "assign_to_agent",
            "_selected_action": [ana.pk, ben.pk],
            "agent": tom.pk,
            "apply": "1",
        },
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "2 leads now have Tom Baker as agent."
    ]
    assert set(Lead.objects.values_list("owner", flat=True)) == {tom.pk}


def test_no_agent_takes_the_agent_away(client_a, leads):
    ana, _ = leads
    client_a.post(
        LIST,
        {"action": "assign_to_agent", "_selected_action": [ana.pk], "agent": "none", "apply": "1"},
    )
    ana.refresh_from_db()
    assert ana.owner is None


def test_another_agencys_member_cannot_be_assigned(client_a, leads, staff_b):
    ana, _ = leads
    response = client_a.post(
        LIST,
        {
            "action": "assign_to_agent",
            "_selected_action": [ana.pk],
            "agent": staff_b.pk,
            "apply": "1",
        },
    )
    assert str(CHOOSE_AN_AGENT) in [str(m) for m in response.context["messages"]]
    ana.refresh_from_db()
    assert ana.owner.username == "maria"


def test_another_agencys_leads_are_never_assigned(client_a, leads, lead_b, maria):
    client_a.post(
        LIST,
        {
            "action": "assign_to_agent",
            "_selected_action": [lead_b.pk],
            "agent": maria.pk,
            "apply": "1",
        },
    )
    lead_b.refresh_from_db()
    assert lead_b.owner is None


def test_a_staff_member_of_two_agencies_assigns_each_agent_only_their_agencys_leads(
    org_a, org_b, leads, lead_b, maria
):
    both = make_staff("carol", org_a)
    membership_create(user=both, organization=org_b)
    response = logged_in(both).post(
        LIST,
        {
            "action": "assign_to_agent",
            "_selected_action": [leads[1].pk, lead_b.pk],
            "agent": maria.pk,
            "apply": "1",
        },
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "1 lead now has Maria Lopez as agent. 1 lead of another agency was left as it was."
    ]
    lead_b.refresh_from_db()
    assert lead_b.owner is None


def test_the_lead_form_offers_the_agencys_members_and_refuses_another(
    client_a, leads, maria, staff_b
):
    ana, _ = leads
    url = reverse("admin:crm_lead_change", args=[ana.pk])
    page = client_a.get(url).content.decode()
    assert f'<option value="{maria.pk}" selected>Maria Lopez</option>' in page
    assert f'value="{staff_b.pk}"' not in page
    data = {"name": "Ana", "email": "ana@example.com", "status": "new", "owner": staff_b.pk}
    for prefix in ("enrollments", "auto_replies"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    response = client_a.post(url, data)
    assert "Select a valid choice" in response.content.decode()
    ana.refresh_from_db()
    assert ana.owner == maria


def test_only_a_member_of_the_leads_agency_can_be_its_agent(org_a, staff_b):
    lead = Lead(organization=org_a, name="Ana", email="ana@example.com", owner=staff_b)
    with pytest.raises(ValidationError) as refused:
        lead.full_clean()
    assert refused.value.message_dict == {"owner": [str(OWNER_NOT_MEMBER)]}


def test_assigning_every_lead_of_a_filtered_list_keeps_to_that_list(client_a, leads, org_a, tom):
    Lead.objects.create(organization=org_a, name="Cid", email="cid@example.com")
    ask = {"action": "assign_to_agent", "select_across": "1", "_selected_action": [leads[1].pk]}
    page = client_a.post(f"{LIST}?agent=none", ask).content.decode()
    assert "Assign 2 leads to an agent" in page
    assert '<input type="hidden" name="select_across" value="1">' in page
    client_a.post(f"{LIST}?agent=none", {**ask, "agent": tom.pk, "apply": "1"})
    owners = dict(Lead.objects.values_list("email", "owner__username"))
    assert owners == {
        "ana@example.com": "maria",
        "ben@example.com": "tom",
        "cid@example.com": "tom",
    }
