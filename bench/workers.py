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


if __name__ == "__main__":
    worker, size = sys.argv[1], int(sys.argv[2])
    print(json.dumps(globals()[worker](size)))
