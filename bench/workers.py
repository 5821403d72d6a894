"""One contender of one stage, run in a fresh process: prints {"value", "peak_mb"} as JSON."""

import json
import resource
import sys
import time
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


if __name__ == "__main__":
    worker, size = sys.argv[1], int(sys.argv[2])
    print(json.dumps(globals()[worker](size)))
