"""`manage.py launch_campaign ID --check`: the preflight from the shell, nothing queued."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Campaign, CampaignStep, Dispatch, MessageLog
from crm.models import Lead


def check(campaign, *args) -> str:
    out = StringIO()
    call_command("launch_campaign", str(campaign.pk), "--check", *args, stdout=out)
    return out.getvalue()


def test_the_check_prints_the_report_and_queues_nothing(campaign_a, org_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(subject="Hi {{ lead.first_name }}")
    Lead.objects.create(organization=org_a, name="Ana Souza", email="ana@example.com")
    Lead.objects.create(organization=org_a, name="", email="nameless@example.com")
    output = check(campaign_a)
    assert output.startswith("Preflight of “Spring A”: 2 leads in the audience: 2 would get it")
    assert (
        "Merge fields that are blank for some leads:\n"
        "  lead.first_name: 1 lead with no first name: step 1 has no fallback, they get a "
        "blank.\n"
    ) in output
    assert not MessageLog.objects.exists() and not Dispatch.objects.exists()
    assert Campaign.objects.get(pk=campaign_a.pk).status == Campaign.Status.DRAFT


def test_the_check_takes_the_launchs_audience_options(campaign_a, org_a):
    for city in ("Pasadena", "Burbank", "Burbank"):
        Lead.objects.create(
            organization=org_a, name=city, email=f"{city}{Lead.objects.count()}@x.com", city=city
        )
    assert "2 leads in the audience" in check(campaign_a, "--filter", '{"city": "Burbank"}')
    with pytest.raises(CommandError, match="Unknown filter key"):
        check(campaign_a, "--filter", '{"colour": "blue"}')


def test_a_blocked_launch_fails_the_check(campaign_a, lead_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(body_template="{{ property.title }}")
    with pytest.raises(CommandError, match="The launch would be refused: step 1 cannot be"):
        check(campaign_a)
    assert not MessageLog.objects.exists()
