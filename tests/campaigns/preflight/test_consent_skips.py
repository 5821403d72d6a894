"""Leads the agency's rules do not let it email (no consent on record, or consent expired)
are counted and linked by preflight, skipped with their reason by the launch, skipped by the
claim when consent runs out after the launch, and stopped in sequences."""

import datetime
import re
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.launching import blasts
from campaigns.models import Campaign, CampaignStep, Enrollment, MessageLog
from campaigns.outbox import claims
from campaigns.preflight import preflight_run
from campaigns.sequences import schedule
from crm import consent
from crm.models import ConsentBasis, Lead

Basis = ConsentBasis


@pytest.fixture
def canadian(org_a):
    """Org A as a Canadian agency (CASL), on a fixed day."""
    org_a.country, org_a.timezone = "CA", "America/Toronto"
    org_a.save()
    return org_a


def lead(organization, n, basis, given_on=None):
    made = Lead.objects.create(organization=organization, name=f"L{n}", email=f"l{n}@example.com")
    if basis is not None:
        consent.consent_record(lead=made, basis=basis, given_on=given_on, source="staff")
    return made


def cast(organization):
    """Two with express consent, one recent enquiry, three old enquiries, one bought list."""
    today = datetime.date(2026, 6, 1)
    leads = [lead(organization, n, Basis.EXPRESS, today) for n in range(2)]
    leads.append(lead(organization, 2, Basis.ENQUIRY, today - datetime.timedelta(days=30)))
    leads += [lead(organization, n, Basis.ENQUIRY, datetime.date(2025, 9, 1)) for n in (3, 4, 5)]
    leads.append(lead(organization, 6, Basis.PURCHASED, today))
    return leads


JUNE = datetime.datetime(2026, 6, 1, 15, tzinfo=datetime.UTC)


def counts(report) -> dict[str, int]:
    return {finding.key: finding.count for finding in report.skipped}


@time_machine.travel(JUNE)
def test_preflight_counts_no_consent_and_expired_consent(canadian, campaign_a):
    cast(canadian)
    report = preflight_run(campaign_a)
    assert counts(report) == {"skipped:no_consent": 1, "skipped:consent_expired": 3}
    assert (report.audience, report.to_send) == (7, 3)
    expired = next(f for f in report.skipped if f.key == "skipped:consent_expired")
    assert str(expired).startswith("Consent expired: 3 leads whose consent from an enquiry")
    assert "CASL (Canada)" in str(expired)


@time_machine.travel(JUNE)
def test_the_launch_page_links_consent_expired_to_its_leads(canadian, campaign_a, client_a):
    cast(canadian)
    page = client_a.get(reverse("admin:campaigns_campaign_launch", args=[campaign_a.pk]))
    html = page.content.decode()
    item = re.search(r'data-preflight="skipped:consent_expired">(.*?)</li>', html, re.DOTALL)[1]
    assert item.startswith("Consent expired: <a")
    url = unescape(re.search(r'href="([^"]+)"', item)[1])
    listed = client_a.get(url).content.decode()
    assert {"l3@example.com", "l4@example.com", "l5@example.com"} <= set(
        re.findall(r"l\d@example\.com", listed)
    )
    assert "l0@example.com" not in listed


@time_machine.travel(JUNE)
def test_the_launch_skips_them_with_the_reason(canadian, campaign_a):
    cast(canadian)
    dispatch = blasts.campaign_launch(campaign=campaign_a)
    assert (dispatch.total, dispatch.skipped) == (7, 4)
    skipped = dict(
        MessageLog.objects.filter(status=MessageLog.Status.SKIPPED).values_list(
            "to_email", "error_message"
        )
    )
    assert skipped["l6@example.com"] == "No consent on record that CASL (Canada) accepts: not sent."
    assert skipped["l3@example.com"] == "The lead's consent expired (CASL (Canada)): not sent."


def test_a_message_queued_before_consent_ran_out_is_skipped_at_its_claim(canadian, campaign_a):
    with time_machine.travel(datetime.datetime(2026, 1, 10, 15, tzinfo=datetime.UTC)):
        lead(canadian, 1, Basis.ENQUIRY, datetime.date(2025, 7, 12))
        blasts.campaign_launch(campaign=campaign_a)
        assert MessageLog.objects.get().status == MessageLog.Status.QUEUED
    with time_machine.travel(datetime.datetime(2026, 1, 13, 15, tzinfo=datetime.UTC)):
        claim = claims.claim_for_account(campaign_a.email_account)
    assert claim.messages == []
    message = MessageLog.objects.get()
    assert message.status == MessageLog.Status.SKIPPED
    assert "consent expired" in message.error_message


def test_a_sequence_stops_a_lead_whose_consent_ran_out(canadian, account_a):
    sequence = Campaign.objects.create(
        organization=canadian, name="Nurture", email_account=account_a, type=Campaign.Type.SEQUENCE
    )
    CampaignStep.objects.create(campaign=sequence, order=1, subject="1", body_template="<p>1</p>")
    CampaignStep.objects.create(
        campaign=sequence, order=2, offset_days=30, subject="2", body_template="<p>2</p>"
    )
    with time_machine.travel(datetime.datetime(2026, 1, 10, 15, tzinfo=datetime.UTC)):
        lead(canadian, 1, Basis.ENQUIRY, datetime.date(2025, 8, 1))
        lead(canadian, 2, Basis.EXPRESS, datetime.date(2025, 8, 1))
        assert schedule.sequence_activate(campaign=sequence) == 2
    with time_machine.travel(datetime.datetime(2026, 3, 1, 17, tzinfo=datetime.UTC)):
        schedule.tick()
    stopped = Enrollment.objects.get(lead__email="l1@example.com")
    assert (stopped.state, stopped.stop_reason) == ("stopped", "their consent expired")
    assert Enrollment.objects.get(lead__email="l2@example.com").state == "active"


def test_an_american_agency_emails_every_lead_until_they_opt_out(org_a, campaign_a):
    lead(org_a, 1, Basis.PURCHASED)
    lead(org_a, 2, None)
    Lead.objects.filter(email="l2@example.com").update(unsubscribed_at=timezone.now())
    report = preflight_run(campaign_a)
    assert counts(report) == {"skipped:opted_out": 1}
