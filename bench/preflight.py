"""Stage preflight: the whole audience checked before launch (campaigns/preflight/).

The data: `size` leads imported from bench/data.py's CSV, a tenth without a city and a fifth
linked to a listing, and a three-step sequence: the 2 KB step of the other stages, then two
shorter steps with a fallback, a property guarded by {% if %} and a subject that grows.

- ours: `preflight_run`, contexts built from one query's rows, every step rendered by the
  one renderer, every message checked, blanks counted in the same pass;
- peer: the preview function (`sending.render_for`, what the preview page and the test
  send call) for each lead and step, the leads read in one query with their organization
  and property: the renderings alone, none of the checks.

A second row gives every body the lead's full name, so that no two messages are alike and
nothing rendered is reused: ours then renders as many messages as the peer.

Both feed every rendering (subject, HTML and text with the footer, or the error) into a
digest in the same order; the run fails unless the digests are equal.
"""

import hashlib
import random
import time

from django.core.management import call_command

from bench.data import HTML_TEMPLATE, SUBJECT_TEMPLATE, lead_csv

STEP_2 = (
    "Still looking in {{ lead.city|default('your area', true) }}, {{ lead.first_name }}?",
    "<p>Hi {{ lead.first_name }},</p><p>Three new homes came in around "
    "{{ lead.city|default('your area', true) }} this week.</p>"
    "{% if property %}<p>And news about {{ property.title }}: the price moved.</p>{% endif %}"
    '<p><a href="https://agency.example/new">See them</a></p>',
)
STEP_3 = (
    "{{ lead.first_name }}, a private viewing for {{ organization.name }}'s clients in "
    "{{ lead.city }}",
    "<p>Hi {{ lead.first_name }},</p><p>We hold a private viewing on Saturday. Budget "
    "{{ lead.budget_min }}–{{ lead.budget_max }}: reply and {{ sender.name }} saves you a slot."
    "</p>",
)


def prepare(size: int):
    """An agency with `size` leads and a draft three-step sequence."""
    from django.contrib.auth.models import User

    from campaigns.models import Campaign, CampaignStep, EmailAccount
    from crm.importing.lead_import import leads_import
    from crm.models import Lead, Organization, Property

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(
        name="Maison Lumière", slug="bench", postal_address="18 rue des Martyrs, Paris"
    )
    leads_import(organization=organization, data=lead_csv(size, bad_ratio=0))
    # Clients and lost leads are skipped by a sequence: the peer would render them for nothing.
    Lead.objects.filter(status__in=["client", "lost"]).update(status="qualified")
    rng = random.Random(7)
    ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True))
    Lead.objects.filter(pk__in=rng.sample(ids, size // 10)).update(city="")
    listings = [
        Property.objects.create(organization=organization, title=f"Loft {n}", city="Paris")
        for n in range(20)
    ]
    for n, lead_id in enumerate(rng.sample(ids, size // 5)):
        Lead.objects.filter(pk=lead_id).update(property=listings[n % len(listings)])
    account = EmailAccount.objects.create(
        organization=organization,
        user=User.objects.create(username="bench"),
        email_address="jordan@agency.example",
        display_name="Jordan Dupré",
        provider=EmailAccount.Provider.SANDBOX,
    )
    campaign = Campaign.objects.create(
        organization=organization,
        name="Nurture",
        type=Campaign.Type.SEQUENCE,
        email_account=account,
    )
    for order, (subject, body) in enumerate(
        [(SUBJECT_TEMPLATE, HTML_TEMPLATE), STEP_2, STEP_3], start=1
    ):
        CampaignStep.objects.create(
            campaign=campaign,
            order=order,
            offset_days=3 * (order - 1),
            subject=subject,
            body_template=body,
        )
    return campaign


def ours(campaign) -> tuple[float, float, str, str]:
    """Wall-clock and CPU seconds (the CPU time is what an idle machine would take), the
    renderings' digest, and the findings."""
    from campaigns.preflight import preflight_run

    digest = hashlib.blake2b()
    started, cpu = time.perf_counter(), time.process_time()
    report = preflight_run(campaign, digest=digest)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    found = ", ".join(f"{finding.label} {finding.count:,}" for finding in report.findings())
    return seconds, cpu, digest.hexdigest(), found


def peer(campaign) -> tuple[float, float, str]:
    from campaigns.content import rendering
    from campaigns.outbox import sending
    from campaigns.preflight import steps_of
    from crm.models import Lead

    digest = hashlib.blake2b()
    started, cpu = time.perf_counter(), time.process_time()
    steps = steps_of(campaign)
    account = campaign.email_account
    leads = Lead.objects.filter(organization=campaign.organization_id).select_related(
        "organization", "property"
    )
    for lead in leads.order_by("pk").iterator(chunk_size=2000):
        for step in steps:
            try:
                final = sending.render_for(step, lead, account)
            except rendering.TemplateError as error:
                digest.update(f"{lead.pk}|{step.order}|{error.part}|{error}\n".encode())
                continue
            rendered = f"{lead.pk}|{step.order}|{final.subject}|{final.html}|{final.text}\n"
            digest.update(rendered.encode())
    return time.perf_counter() - started, time.process_time() - cpu, digest.hexdigest()


def _row(campaign, size: int, what: str) -> dict:
    peer_seconds, peer_cpu, peer_digest = peer(campaign)
    our_seconds, our_cpu, our_digest, found = ours(campaign)
    assert our_digest == peer_digest, "the preflight's renderings differ from the preview's"
    steps = campaign.steps.count()
    return {
        "ours": {
            "value": our_seconds,
            "note": f"ours: {size:,} leads × {steps} steps rendered and checked, {what}, "
            f"{our_cpu:.2f} s of CPU ({found})",
        },
        "peer": {
            "value": peer_seconds,
            "note": "peer: the preview function per lead and step, renderings only, "
            f"{peer_cpu:.2f} s of CPU; digests of all renderings equal",
        },
    }


def measure(size: int) -> dict:
    """Two rows on one data set: the steps as written (first names, cities: leads share
    them), then with each lead's full name in every body (no two messages alike)."""
    from campaigns.models import Dispatch, Enrollment, MessageLog

    campaign = prepare(size)
    rows = {"preflight": _row(campaign, size, "first names and cities")}
    for step in campaign.steps.all():
        step.body_template = step.body_template.replace("{{ lead.first_name }}", "{{ lead.name }}")
        step.save()
    rows["preflight_names"] = _row(campaign, size, "every body with the lead's full name")
    assert not (MessageLog.objects.exists() or Enrollment.objects.exists())
    assert not Dispatch.objects.exists()
    return rows
