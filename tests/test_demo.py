"""The demo loads through the real importer, and loading it twice changes nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Campaign, CampaignStep, EmailAccount
from crm.models import Lead, Membership, Organization, Property


def snapshot():
    return [
        model.objects.count()
        for model in (
            Organization,
            Membership,
            Property,
            Lead,
            Campaign,
            CampaignStep,
            EmailAccount,
        )
    ]


def test_the_demo_refuses_to_run_in_production_mode(db):
    with pytest.raises(CommandError, match="well-known passwords"):
        call_command("load_demo")


def test_the_demo_loads_and_is_idempotent(db):
    out = StringIO()
    call_command("load_demo", "--force", stdout=out)
    first = snapshot()
    assert first == [2, 2, 12, 310, 2, 4, 1]
    assert "agent / agent  (staff of Sunset Realty)" in out.getvalue()
    assert Lead.objects.filter(property__isnull=False).exists()
    call_command("load_demo", "--force", stdout=StringIO())
    assert snapshot() == first
    assert Campaign.objects.get(name="New lead nurture").status == Campaign.Status.ACTIVE
