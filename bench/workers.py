"""One contender of one stage, run in a fresh process: prints {"value", "peak_mb"} as JSON."""

import gc
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from bench.data import email_for, lead_csv  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_import(size: int):
    from crm.models import Lead, Organization

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", slug="bench", postal_address="x")
    existing = size // 10
    Lead.objects.bulk_create(
        Lead(organization=organization, name=f"Old {n}", email=email_for(n))
        for n in range(existing)
    )
    return organization, lead_csv(size, existing)


def import_ours(size: int) -> dict:
    from crm.importing import leads_import

    organization, data = prepare_import(size)
    before = rss_mb()
    started = time.perf_counter()
    report = leads_import(organization=organization, data=data)
    seconds = time.perf_counter() - started
    return {
        "value": size / seconds,
        "seconds": seconds,
        "peak_mb": round(rss_mb() - before, 1),
        "note": f"ours: {report.summary()}",
    }


def import_peer(size: int) -> dict:
    """A plain django-import-export ModelResource, its defaults plus the same validation."""
    import tablib
    from import_export import resources

    from crm.models import Lead

    organization, data = prepare_import(size)

    class LeadResource(resources.ModelResource):
        class Meta:
            model = Lead
            import_id_fields = ["email"]
            fields = [
                "name",
                "email",
                "phone",
                "city",
                "status",
                "budget_min",
                "budget_max",
                "source",
            ]
            clean_model_instances = True  # full_clean(): email, choices, constraints

        def get_queryset(self):
            return Lead.objects.filter(organization=organization)

        def before_save_instance(self, instance, row, **kwargs):
            instance.organization = organization

        def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
            instance.organization = organization
            super().validate_instance(instance, import_validation_errors, validate_unique)

    dataset = tablib.Dataset().load(data.decode(), format="csv")
    before = rss_mb()
    started = time.perf_counter()
    result = LeadResource().import_data(dataset, dry_run=False, raise_errors=False)
    seconds = time.perf_counter() - started
    totals = dict(result.totals)
    return {
        "value": size / seconds,
        "seconds": seconds,
        "peak_mb": round(rss_mb() - before, 1),
        "note": f"peer: {totals}",
    }


def prepare_launch(size: int):
    """An organization with `size` leads and a draft blast with a 2 KB step."""
    from django.contrib.auth.models import User

    from bench.data import HTML_TEMPLATE, SUBJECT_TEMPLATE, lead_csv
    from campaigns.models import Campaign, CampaignStep, EmailAccount
    from crm.importing import leads_import
    from crm.models import Organization

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", slug="bench", postal_address="x")
    leads_import(organization=organization, data=lead_csv(size, 0, bad_ratio=0))
    user = User.objects.create(username="bench")
    account = EmailAccount.objects.create(
        organization=organization,
        user=user,
        email_address="bench@agency.example",
        display_name="Bench",
        provider=EmailAccount.Provider.SANDBOX,
        daily_limit=10**9,
    )
    campaign = Campaign.objects.create(
        organization=organization, name="Blast", email_account=account
    )
    CampaignStep.objects.create(
        campaign=campaign, subject=SUBJECT_TEMPLATE, body_template=HTML_TEMPLATE
    )
    return campaign


def launch_ours(size: int) -> dict:
    from campaigns import dispatch
    from campaigns.models import MessageLog

    campaign = prepare_launch(size)

    def work() -> None:
        dispatch.campaign_launch(campaign=campaign)

    measured = _timed(work)
    queued = MessageLog.objects.filter(campaign=campaign, status="queued").count()
    assert queued == size, queued
    return {**measured, "note": f"ours: {size:,} messages queued, rendered and frozen"}


def launch_peer(size: int) -> dict:
    """The spec's send_campaign_direct shape: a query, a render and a save per lead."""
    from campaigns import sending
    from campaigns.models import Campaign
    from crm.models import Lead

    campaign = prepare_launch(size)
    step = campaign.steps.get()

    def work() -> None:
        Campaign.objects.filter(pk=campaign.pk).update(status="active")
        for lead_id in Lead.objects.filter(organization=campaign.organization).values_list(
            "pk", flat=True
        ):
            lead = Lead.objects.select_related("organization", "property").get(pk=lead_id)
            sending.queued_message(step=step, lead=lead, account=campaign.email_account).save()

    return _timed(work)


def prepare_tick(size: int, due_every: int):
    """A sequence with `size` enrollments; one in `due_every` is due now (0: none)."""
    import datetime

    from django.utils import timezone

    from campaigns.models import Campaign, CampaignStep, Enrollment
    from crm.models import Lead

    campaign = prepare_launch(size)
    Campaign.objects.filter(pk=campaign.pk).update(
        type=Campaign.Type.SEQUENCE,
        status=Campaign.Status.ACTIVE,
        send_on_weekends=True,
        window_start=datetime.time(0, 0),
        window_end=datetime.time(23, 59),
    )
    campaign.refresh_from_db()
    for order, day in ((2, 3), (3, 7)):
        CampaignStep.objects.create(
            campaign=campaign,
            order=order,
            offset_days=day,
            subject="Step {{ lead.name }}",
            body_template="<p>Hi</p>",
        )
    now = timezone.now()
    later, past = now + datetime.timedelta(days=2), now - datetime.timedelta(minutes=5)
    leads = Lead.objects.filter(organization=campaign.organization).values_list("pk", flat=True)
    Enrollment.objects.bulk_create(
        (
            Enrollment(
                organization_id=campaign.organization_id,
                campaign=campaign,
                lead_id=pk,
                started_at=now,
                next_order=1,
                next_due_at=past if due_every and n % due_every == 0 else later,
            )
            for n, pk in enumerate(leads)
        ),
        batch_size=5000,
    )
    return campaign


def _timed(work) -> dict:
    """Time `work()` (it may return a note) in a forked child, so that the peak memory is the
    work's own: a forked process's peak starts at the memory in use when it forks, while
    this process's peak is the set-up's (importing the leads), higher than most work."""
    from django.db import connections

    connections.close_all()  # the child opens its own
    gc.collect()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        status = 1
        try:
            before = rss_mb()
            started = time.perf_counter()
            note = work()
            seconds = time.perf_counter() - started
            peak = round(rss_mb() - before, 1)
            result = {"value": seconds, "seconds": seconds, "peak_mb": peak, "note": note or ""}
            with os.fdopen(write, "w") as out:
                json.dump(result, out)
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status or not data:
        raise RuntimeError("the measured work failed (its traceback is above)")
    return json.loads(data)


def tick_idle_ours(size: int) -> dict:
    from campaigns import sequences

    prepare_tick(size, 0)
    return _timed(lambda: f"ours: {sequences.tick()}")


def tick_due_ours(size: int) -> dict:
    from campaigns import sequences

    prepare_tick(size, 10)
    return _timed(lambda: f"ours: {sequences.tick()}")


def _tick_peer(size: int, due_every: int) -> dict:
    """The naive tick: load every active enrollment and decide in Python, then a render and
    a save per due lead."""
    from django.utils import timezone

    from campaigns import sending
    from campaigns.models import Enrollment

    campaign = prepare_tick(size, due_every)
    steps = {step.order: step for step in campaign.steps.all()}

    def work():
        now = timezone.now()
        for enrollment in Enrollment.objects.filter(state="active").select_related(
            "lead__organization", "lead__property"
        ):
            if enrollment.next_due_at and enrollment.next_due_at <= now:
                step = steps[enrollment.next_order]
                sending.queued_message(
                    step=step, lead=enrollment.lead, account=campaign.email_account
                ).save()
                enrollment.next_order += 1
                enrollment.save()

    return _timed(work)


def tick_idle_peer(size: int) -> dict:
    return _tick_peer(size, 0)


def tick_due_peer(size: int) -> dict:
    return _tick_peer(size, 10)


def _build_stage(size: int, build_one) -> dict:
    """Render and build `size` messages with `build_one(context) -> bytes`, then check them."""
    from email import message_from_bytes, policy

    from bench.data import message_contexts

    contexts = message_contexts(size)
    before = rss_mb()
    started = time.perf_counter()
    built = [build_one(context) for context in contexts]
    seconds = time.perf_counter() - started
    for context, data in zip(contexts, built, strict=True):
        message = message_from_bytes(data, policy=policy.default)
        assert context["lead"]["first_name"] in message["Subject"], message["Subject"]
        assert message["To"].addresses[0].addr_spec == context["lead"]["email"]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = message.get_body(("html",)).get_content()
        assert f"Bonjour {context['lead']['first_name']}" in html
        assert message.get_body(("plain",)).get_content().strip()
    return {
        "value": size / seconds,
        "seconds": seconds,
        "peak_mb": round(rss_mb() - before, 1),
        "note": f"{size:,} messages of {len(built[0]):,} bytes parsed back and checked",
    }


def _rendered(context):
    from bench.data import HTML_TEMPLATE, SUBJECT_TEMPLATE
    from campaigns.rendering import render_message

    return render_message(subject=SUBJECT_TEMPLATE, html=HTML_TEMPLATE, text="", context=context)


def _unsubscribe_headers(context) -> dict:
    return {
        "List-Unsubscribe": f"<{context['unsubscribe_url']}>, "
        "<mailto:jordan@agency.example?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def build_ours(size: int) -> dict:
    from campaigns.messages import Addressing, build

    def one(context):
        lead = context["lead"]
        addressing = Addressing(
            sender_name="Jordan Dupré",
            sender_email="jordan@agency.example",
            to_email=lead["email"],
            to_name=lead["name"],
            unsubscribe_url=context["unsubscribe_url"],
            postal_address=context["organization"]["postal_address"],
        )
        return build(_rendered(context), addressing)

    return _build_stage(size, one)


def build_django(size: int) -> dict:
    """Django's EmailMultiAlternatives(...).message(), on the same renderings."""
    from email.utils import formataddr

    from django.core.mail import EmailMultiAlternatives

    def one(context):
        rendered, lead = _rendered(context), context["lead"]
        message = EmailMultiAlternatives(
            rendered.subject,
            rendered.text,
            from_email=formataddr(("Jordan Dupré", "jordan@agency.example")),
            to=[formataddr((lead["name"], lead["email"]))],
            headers=_unsubscribe_headers(context),
        )
        message.attach_alternative(rendered.html, "text/html")
        return message.message().as_bytes()

    return _build_stage(size, one)


def build_stdlib(size: int) -> dict:
    """The standard library's EmailMessage with policy.default, on the same renderings."""
    from email.message import EmailMessage
    from email.utils import formataddr, make_msgid

    def one(context):
        rendered, lead = _rendered(context), context["lead"]
        message = EmailMessage()
        message["From"] = formataddr(("Jordan Dupré", "jordan@agency.example"))
        message["To"] = formataddr((lead["name"], lead["email"]))
        message["Subject"] = rendered.subject
        message["Message-ID"] = make_msgid(domain="agency.example")
        for name, value in _unsubscribe_headers(context).items():
            message[name] = value
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message.as_bytes()

    return _build_stage(size, one)


def send_1_ours(size: int) -> dict:
    from bench import sending

    return sending.ours(size, accounts=1)


def send_1_peer(size: int) -> dict:
    from bench import sending

    return sending.peer(size, accounts=1)


def send_3_ours(size: int) -> dict:
    from bench import sending

    return sending.ours(size, accounts=3)


def send_3_peer(size: int) -> dict:
    from bench import sending

    return sending.peer(size, accounts=3)


def api_ingest(size: int) -> dict:
    """The spec's naive view (a get and a save per report), our signed single form and our
    batch form (100 reports a call), one after the other on one server and data set."""
    from bench import ingest

    measured = ingest.run(size, ["naive", "single", "batch"])
    return {
        "api_ingest_single": {"ours": measured["single"], "peer": measured["naive"]},
        "api_ingest_batch": {"ours": measured["batch"], "peer": measured["single"]},
    }


def admin_pages(size: int) -> dict:
    """Four admin pages, ours and the peer's, on one data set of `size` leads."""
    from bench import admin_pages

    return admin_pages.measure(size)


def preflight(size: int) -> dict:
    """The preflight of a three-step sequence, ours and the preview lead by lead."""
    from bench import preflight

    return preflight.measure(size)


def listing_matching(size: int) -> dict:
    """The leads a listing fits among `size`: ours and the plain ORM filter, one data set."""
    from bench import listing_matching

    return listing_matching.measure(size)


if __name__ == "__main__":
    worker, size = sys.argv[1], int(sys.argv[2])
    print(json.dumps(globals()[worker](size)))
