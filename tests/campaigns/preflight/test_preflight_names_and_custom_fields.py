"""The preflight counts the leads without a first name (a lead with only a last name
included) and those without a custom field a step prints; each lead is rendered with its
own custom fields."""

import pytest

from campaigns.models import Campaign, CampaignStep
from campaigns.preflight import preflight_run
from crm.models import Lead


@pytest.fixture
def blast(org_a, account_a):
    campaign = Campaign.objects.create(
        organization=org_a, name="Open house", email_account=account_a
    )
    CampaignStep.objects.create(
        campaign=campaign,
        order=1,
        subject="Open house in {{ lead.custom.neighborhood | default('your area', true) }}",
        body_template="<p>Hi {{ lead.first_name }}</p>",
    )
    leads = [
        ("Ana", "", {"neighborhood": "Echo Park"}),
        ("", "Okafor", {"neighborhood": "Silver Lake"}),
        ("Cy", "", {}),
    ]
    for n, (first, last, custom) in enumerate(leads):
        Lead.objects.create(
            organization=org_a,
            first_name=first,
            last_name=last,
            email=f"l{n}@example.com",
            custom=custom,
        )
    return campaign


def test_leads_without_a_first_name_and_without_a_custom_field_are_counted(blast):
    found = {finding.key: finding for finding in preflight_run(blast).fields}
    okafor = Lead.objects.get(last_name="Okafor")
    assert found["blank:lead.first_name"].lead_ids == [okafor.pk]
    assert str(found["blank:lead.custom.neighborhood"]) == (
        "lead.custom.neighborhood: 1 lead with no neighborhood: step 1 uses the fallback "
        "“your area”."
    )


class Renderings:
    """Collects what the preflight feeds its digest: one line per lead and step."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def update(self, data: bytes) -> None:
        self.lines.append(data.decode())


def test_each_lead_is_checked_with_its_own_custom_fields(blast):
    seen = Renderings()
    report = preflight_run(blast, digest=seen)
    assert report.to_send == 3
    subjects = {line.split("|")[0]: line.split("|")[2] for line in seen.lines}
    by_email = {str(lead.pk): lead.email for lead in Lead.objects.all()}
    assert {by_email[pk]: subject for pk, subject in subjects.items()} == {
        "l0@example.com": "Open house in Echo Park",
        "l1@example.com": "Open house in Silver Lake",
        "l2@example.com": "Open house in your area",
    }
