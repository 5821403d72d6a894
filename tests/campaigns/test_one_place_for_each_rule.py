"""Each rule in one place, read by every page and job: what "waiting" means, the funnel's
stages, the organization's time zone, which account sends, the provider's pacing. The
source is searched for a second definition, and the places that read a rule agree."""

import datetime
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

import campaigns
import crm
from campaigns.accounts import providers
from campaigns.models import (
    ENGAGEMENT,
    FUNNEL,
    OUTCOMES,
    SETTLED,
    WAITING,
    Campaign,
    EmailAccount,
    MessageLog,
)
from campaigns.outbox import claims, senders
from campaigns.reporting import campaign_live, progress
from crm.models import Lead

Status = MessageLog.Status
SOURCES = [
    path
    for package in (campaigns, crm)
    for path in Path(package.__file__).parent.rglob("*.py")
    if "migrations" not in path.parts
]
ROOT = Path(campaigns.__file__).parent.parent


def written_in(pattern: str) -> set[str]:
    """The source files (campaigns and crm, migrations aside) where the pattern occurs."""
    found = re.compile(pattern)
    return {str(path.relative_to(ROOT)) for path in SOURCES if found.search(path.read_text())}


@pytest.mark.parametrize(
    ("rule", "pattern", "home"),
    [
        ("waiting", r"QUEUED,\s*(MessageLog\.)?Status\.SENDING", {"campaigns/models.py"}),
        # The organization's zone in crm/models.py; zone_choices describes every zone the
        # time-zone list offers (its offset today), never an agency's.
        (
            "time zone",
            r"ZoneInfo\(",
            {"crm/models.py", "crm/site/timezones.py", "crm/site/zone_choices.py"},
        ),
        ("primary account", r"is_primary=True, is_active=True", {"campaigns/outbox/senders.py"}),
        ("sandbox", r"Provider\.SANDBOX", {"campaigns/accounts/providers.py"}),
        ("stages", r'"sent",\s*"opened",\s*"clicked"', {"campaigns/models.py"}),
    ],
)
def test_each_rule_is_written_in_one_place(rule, pattern, home):
    """Elsewhere, code reads it from there: `WAITING`, `Organization.zone`,
    `senders.sending_account`, a provider's `paced`, `ENGAGEMENT`... (The demo's loader names
    the sandbox provider: it is data, not a rule.)"""
    assert written_in(pattern) - {"campaigns/management/commands/load_demo.py"} == home


def test_the_index_of_waiting_messages_is_on_waiting():
    [index] = [i for i in MessageLog._meta.indexes if i.name == "campaigns_messages_waiting"]
    assert dict(index.condition.children)["status__in"] == WAITING


def test_the_funnels_groups_are_stages_of_the_funnel_in_its_order():
    stages = list(FUNNEL)
    for group in (ENGAGEMENT, OUTCOMES, SETTLED):
        assert list(group) == sorted(group, key=stages.index)
    assert FUNNEL["queued"].children == [("status__in", WAITING)]


def test_every_count_of_waiting_messages_agrees(campaign_a, org_a):
    step = campaign_a.steps.get()
    for n, status in enumerate(Status):
        lead = Lead.objects.create(organization=org_a, name=f"L{n}", email=f"l{n}@example.com")
        MessageLog.objects.create(
            organization=org_a, campaign=campaign_a, campaign_step=step, lead=lead, status=status
        )
    waiting = MessageLog.objects.waiting()
    assert sorted(waiting.values_list("status", flat=True)) == sorted(WAITING)
    assert campaign_live.waiting_count(campaign_a) == 2
    assert progress.campaign_progress(campaign_a)["waiting"] == 2
    [row] = progress.step_funnel(campaign_a)
    assert row["queued"] == 2


def test_the_organizations_zone_is_read_from_the_organization(org_a):
    assert str(org_a.zone) == org_a.timezone
    org_a.timezone = "Europe/Paris"
    noon = datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.UTC)
    assert noon.astimezone(org_a.zone).hour == 14


def test_which_account_sends_is_decided_once_for_one_campaign_and_for_many(
    org_a, staff_a, account_a, campaign_a
):
    """The campaign's own account, else the organization's primary one (while active):
    `sending_account` for one campaign, `sending_from` for the query of many agree."""
    primary = EmailAccount.objects.create(
        organization=org_a, user=staff_a, email_address="p@sunset.example", is_primary=True
    )
    orphan = Campaign.objects.create(organization=org_a, name="No account of its own")
    assert senders.sending_account(campaign_a) == account_a
    assert senders.sending_account(orphan) == primary
    for account in (account_a, primary):
        from_it = set(Campaign.objects.filter(senders.sending_from(account)))
        assert from_it == {c for c in (campaign_a, orphan) if senders.sending_account(c) == account}
    EmailAccount.objects.filter(pk=primary.pk).update(is_active=False)
    primary.refresh_from_db()
    assert senders.sending_account(orphan) is None
    assert not Campaign.objects.filter(senders.sending_from(primary)).exists()


def test_render_step_renders_a_campaign_without_an_account_from_the_primary_one(
    org_a, account_a, lead_a
):
    EmailAccount.objects.filter(pk=account_a.pk).update(is_primary=True)
    campaign = Campaign.objects.create(organization=org_a, name="From the primary")
    step = campaign.steps.create(order=1, subject="Hi {{ lead.name }}", body_template="<p>Hi</p>")
    out = StringIO()
    call_command("render_step", str(step.pk), "--lead", lead_a.email, stdout=out)
    assert "From: Alice <alice@sunset.example>" in out.getvalue()


def test_pacing_is_the_providers_the_sandbox_calls_nobody(account_a):
    assert providers.provider_of(account_a).paced
    assert claims.send_interval(account_a) > datetime.timedelta(0)
    account_a.provider = EmailAccount.Provider.SANDBOX
    assert not providers.provider_of(account_a).paced
    assert claims.send_interval(account_a) == datetime.timedelta(0)
