"""The preflight of a campaign sent from each lead's agent checks each lead as their own
sender sends it, and counts under "No sending account" only the leads nobody would send to
(no agent with a connected Gmail, and no campaign account that can send); the launch
itself still needs a campaign account that can send."""

from campaigns.models import Campaign, CampaignStep, EmailAccount
from campaigns.preflight import preflight_run
from campaigns.preflight.audit import BLOCKED_ACCOUNT
from crm.models import Lead
from tests.conftest import connect_gmail


def test_each_lead_is_rendered_with_the_account_that_sends_to_them(
    campaign_a, org_a, maria, google
):
    Campaign.objects.filter(pk=campaign_a.pk).update(send_from_agents=True)
    campaign_a.refresh_from_db()
    connect_gmail(google, maria, org_a, "maria@gmail.example")
    # A step that cannot be rendered from Maria's account only.
    CampaignStep.objects.filter(campaign=campaign_a).update(
        body_template="{% if sender.email == 'maria@gmail.example' %}{{ 1 // 0 }}{% endif %}x"
    )
    ana = Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com", owner=maria)
    Lead.objects.create(organization=org_a, name="Cid", email="cid@example.com")
    report = preflight_run(campaign_a)
    [failure] = report.failures
    assert failure.lead_ids == [ana.pk]
    assert report.to_send == 2 and report.skipped == []


def test_only_the_leads_nobody_would_send_to_have_no_sending_account(
    campaign_a, org_a, maria, google
):
    EmailAccount.objects.filter(pk=campaign_a.email_account_id).update(needs_reconnect=True)
    Campaign.objects.filter(pk=campaign_a.pk).update(send_from_agents=True)
    campaign_a.refresh_from_db()
    connect_gmail(google, maria, org_a, "maria@gmail.example")
    Lead.objects.create(organization=org_a, name="Ana", email="ana@example.com", owner=maria)
    cid = Lead.objects.create(organization=org_a, name="Cid", email="cid@example.com")
    report = preflight_run(campaign_a)
    [skipped] = report.skipped
    assert (skipped.key, skipped.lead_ids) == ("skipped:no_account", [cid.pk])
    assert report.to_send == 1 and report.blocking == [str(BLOCKED_ACCOUNT)]
    # Every lead with an agent who can send: nobody is left out, yet a launch still needs
    # the campaign's own account (to fall back on), as the launch page says.
    Lead.objects.filter(pk=cid.pk).update(owner=maria)
    report = preflight_run(campaign_a)
    assert (report.skipped, report.to_send, report.blocking) == ([], 2, [str(BLOCKED_ACCOUNT)])
