"""The preflight renders every step for every lead of the audience, reports who is skipped
and who cannot be rendered, and queues nothing; what it checks is what the preview shows."""

import hashlib

import pytest
from django.utils import timezone

from campaigns.content import rendering
from campaigns.models import Campaign, CampaignStep, Dispatch, Enrollment, MessageLog
from campaigns.outbox import sending
from campaigns.preflight import preflight_run
from campaigns.preflight.audit import BLOCKED_ACCOUNT
from campaigns.sequences import schedule
from crm.models import Lead, Property, SuppressedAddress


def make_leads(organization, count: int, **fields) -> list[Lead]:
    return [
        Lead.objects.create(
            organization=organization, name=f"Lead {n}", email=f"lead{n}@example.com", **fields
        )
        for n in range(count)
    ]


def keys(findings) -> dict[str, int]:
    return {finding.key: finding.count for finding in findings}


def test_nothing_is_queued_enrolled_or_launched(campaign_a, lead_a):
    report = preflight_run(campaign_a)
    assert (report.audience, report.to_send) == (1, 1)
    assert not MessageLog.objects.exists() and not Dispatch.objects.exists()
    campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.DRAFT
    Campaign.objects.filter(pk=campaign_a.pk).update(type=Campaign.Type.SEQUENCE)
    campaign_a.refresh_from_db()
    preflight_run(campaign_a)
    assert not Enrollment.objects.exists()


def test_skipped_leads_are_counted_with_their_reason(org_a, account_a):
    # Every status named: a sequence that names none leaves clients out of its audience.
    sequence = Campaign.objects.create(
        organization=org_a,
        name="Nurture",
        email_account=account_a,
        type=Campaign.Type.SEQUENCE,
        audience_filter={"status": Lead.Status.values},
    )
    CampaignStep.objects.create(campaign=sequence, subject="Hi", body_template="<p>Hi</p>")
    leads = make_leads(org_a, 6)
    Lead.objects.filter(pk=leads[0].pk).update(unsubscribed_at=timezone.now())
    SuppressedAddress.objects.create(organization=org_a, email="LEAD1@example.com".lower())
    Enrollment.objects.create(
        organization=org_a, campaign=sequence, lead=leads[2], started_at=timezone.now()
    )
    Lead.objects.filter(pk=leads[3].pk).update(status=Lead.Status.CLIENT)
    report = preflight_run(sequence)
    assert keys(report.skipped) == {
        "skipped:opted_out": 1,
        "skipped:suppressed": 1,
        "skipped:already": 1,
        "skipped:stops": 1,
    }
    assert report.skipped[0].lead_ids == [leads[0].pk]
    assert (report.audience, report.to_send) == (6, 2)
    assert str(report.skipped[3]) == (
        "Clients and lost leads: 1 lead marked client or lost: the sequence stops for them."
    )


def test_a_campaign_without_a_sending_account_is_blocked_and_still_checked(org_a, lead_a):
    campaign = Campaign.objects.create(organization=org_a, name="No account")
    CampaignStep.objects.create(
        campaign=campaign, subject="Hi {{ lead.nickname }}", body_template="x"
    )
    report = preflight_run(campaign)
    assert keys(report.skipped) == {"skipped:no_account": 1}
    assert report.to_send == 0 and report.blocking[0] == str(BLOCKED_ACCOUNT)
    assert keys(report.failures)  # the templates were checked all the same


def test_leads_that_cannot_be_rendered_are_reported_with_the_step_and_the_reason(campaign_a, org_a):
    CampaignStep.objects.filter(campaign=campaign_a).update(
        body_template="<p>{{ lead.budget_max * 2 }}</p>"
    )
    make_leads(org_a, 3, budget_max=500_000)
    broken = Lead.objects.create(organization=org_a, name="No budget", email="nb@example.com")
    report = preflight_run(campaign_a)
    (failure,) = report.failures
    assert failure.lead_ids == [broken.pk]
    assert str(failure) == (
        "Step 1 (body): 1 lead cannot be rendered: Line 1: A value used in a comparison or a "
        "sum is empty for this lead. Give it a fallback, e.g. "
        "{{ lead.budget_max | default(0, true) }}."
    )
    assert report.blocking == []


def test_a_step_that_renders_for_nobody_blocks_the_launch(campaign_a, org_a):
    make_leads(org_a, 2)
    CampaignStep.objects.filter(campaign=campaign_a).update(body_template="{{ property.title }}")
    report = preflight_run(campaign_a)
    assert report.blocking == [
        "step 1 cannot be rendered for any lead (all 2 fail): Line 1: This lead has no property "
        "linked, so “property.title” has no value. Show it only when there is one: "
        "{% if property %}…{% endif %}."
    ]
    assert "This lead has no property linked" in report.failures[0].detail


def test_a_follow_ups_subject_is_checked_as_sent_in_the_thread(org_a, account_a, lead_a):
    sequence = Campaign.objects.create(
        organization=org_a, name="Nurture", email_account=account_a, type=Campaign.Type.SEQUENCE
    )
    long_subject = "A" + "very long subject " * 9
    CampaignStep.objects.create(campaign=sequence, order=1, subject=long_subject, body_template="x")
    CampaignStep.objects.create(campaign=sequence, order=2, subject="Short", body_template="y")
    assert keys(preflight_run(sequence).content) == {
        "content:1:subject_long": 1,
        "content:2:subject_long": 1,  # sent as "Re: " and the first subject
    }


STEPS = [
    # The link printed as is: rendered once per distinct input, the link put back after.
    (
        "Homes in {{ lead.city|default('your area', true) }}",
        "<p>Hi {{ lead.first_name }}</p>"
        '<a href="{{ unsubscribe_url }}">Leave</a> {{ organization.postal_address }}',
    ),
    # The link used otherwise: rendered lead by lead.
    (
        "Hi {{ lead.name }}",
        "<p>{{ unsubscribe_url|upper }}</p>{% if property %}{{ property.title }}{% endif %}",
    ),
    # Fails for leads without a budget.
    ("{{ lead.first_name }}", "<p>{{ lead.budget_max // 1000 }}k</p>"),
]


@pytest.mark.parametrize(("subject", "body"), STEPS)
def test_every_rendering_is_the_previews_byte_for_byte(org_a, account_a, subject, body):
    campaign = Campaign.objects.create(organization=org_a, name="C", email_account=account_a)
    step = CampaignStep.objects.create(campaign=campaign, subject=subject, body_template=body)
    listing = Property.objects.create(organization=org_a, title="Loft")
    for n in range(12):
        Lead.objects.create(
            organization=org_a,
            name=["Ana Souza", "Bo Li", "Cy"][n % 3],
            email=f"l{n}@example.com",
            city=["LA", ""][n % 2],
            budget_max=[None, 700_000][n % 2 if n < 6 else 1],
            property=listing if n % 4 == 0 else None,
        )
    ours = hashlib.sha256()
    preflight_run(campaign, digest=ours)
    preview = hashlib.sha256()
    for lead in Lead.objects.order_by("pk").select_related("organization", "property"):
        try:
            final = sending.render_for(step, lead, account_a)
        except rendering.TemplateError as error:
            preview.update(f"{lead.pk}|1|{error.part}|{error}\n".encode())
            continue
        preview.update(f"{lead.pk}|1|{final.subject}|{final.html}|{final.text}\n".encode())
    assert ours.hexdigest() == preview.hexdigest()


def test_a_sequence_checks_its_active_steps_only(org_a, account_a, lead_a):
    sequence = Campaign.objects.create(
        organization=org_a, name="Nurture", email_account=account_a, type=Campaign.Type.SEQUENCE
    )
    CampaignStep.objects.create(campaign=sequence, order=1, subject="Hi", body_template="x")
    CampaignStep.objects.create(
        campaign=sequence, order=2, subject="{{ lead.oops }}", body_template="y", is_active=False
    )
    report = preflight_run(sequence)
    assert (
        [step.order for step in report.steps]
        == [1]
        == [step.order for step in schedule.active_steps(sequence)]
    )
    assert report.failures == []
