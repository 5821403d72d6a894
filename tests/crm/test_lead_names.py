"""A lead's first and last name are kept as such; the name shown is their join."""

from crm.models import Lead


def test_the_name_shown_is_the_first_and_last_name_joined(org_a):
    lead = Lead.objects.create(
        organization=org_a, first_name="Ngozi", last_name="Okafor", email="n@example.com"
    )
    assert lead.name == "Ngozi Okafor"
    lead.first_name = ""
    lead.save()
    assert (lead.first_name, lead.last_name, lead.name) == ("", "Okafor", "Okafor")
    assert str(lead) == "Okafor <n@example.com>"


def test_a_lead_with_no_name_shows_its_address(org_a):
    lead = Lead.objects.create(organization=org_a, email="n@example.com")
    assert (lead.name, str(lead)) == ("", "n@example.com")


def test_a_lead_given_only_a_whole_name_has_it_split_once(org_a):
    lead = Lead.objects.create(organization=org_a, name="Ana  Maria Souza", email="a@example.com")
    assert (lead.first_name, lead.last_name, lead.name) == ("Ana", "Maria Souza", "Ana Maria Souza")
