"""Stage 1, csv_import: leads from a CSV (100,000 rows, a tenth of them already known, 2%
bad), ours against django-import-export configured as its documentation advises."""

import contextlib
import time
from typing import TYPE_CHECKING, TypedDict

import tablib
from django.core.management import call_command
from django.db.models import QuerySet
from django.db.models.functions import Lower
from import_export import instance_loaders, resources

from bench import checks
from bench.data import email_for, lead_csv
from bench.timing import rss_mb
from crm.importing import values
from crm.importing.lead_import import leads_import
from crm.models import Lead, Organization, full_name, split_full_name

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def prepare(size: int) -> tuple[Organization, bytes]:
    """An organization with a tenth of the file's leads already known; the file."""
    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", slug="bench", postal_address="x")
    existing = size // 10
    Lead.objects.bulk_create(
        Lead(organization=organization, name=f"Old {n}", email=email_for(n))
        for n in range(existing)
    )
    return organization, lead_csv(size)


def ours(size: int) -> dict:
    organization, data = prepare(size)
    before = rss_mb()
    started = time.perf_counter()
    report = leads_import(organization=organization, data=data)
    seconds = time.perf_counter() - started
    return {
        "value": size / seconds,
        "seconds": seconds,
        "peak_mb": round(rss_mb() - before, 1),
        "note": f"ours: {report.summary()}",
        "output": _with_counts(
            checks.leads(organization, size),
            created=report.created,
            updated=report.updated + report.unchanged,
            rejected=report.rejected,
        ),
    }


def _with_counts(output: dict, **counts: int) -> dict:
    return {**output, "counts": {**output["counts"], **counts}}


class _EmailLower(TypedDict):
    email_lower: str


def _by_address(leads: QuerySet[Lead]) -> "QuerySet[WithAnnotations[Lead, _EmailLower]]":
    """Leads looked up the way the unique index on (Lower(email), organization) reads."""
    return leads.annotate(email_lower=Lower("email"))


class IndexedLoader(instance_loaders.ModelInstanceLoader):
    """One lookup per row, through the unique index (`email=` could not use it)."""

    def get_instance(self, row: dict) -> Lead | None:
        email = self.resource.fields["email"].clean(row).lower()
        try:
            return _by_address(self.get_queryset()).get(email_lower=email)
        except Lead.DoesNotExist:
            return None


class CachedIndexedLoader(instance_loaders.BaseInstanceLoader):
    """import-export's CachedInstanceLoader on the index: the file's known leads read up
    front, 900 addresses a query (SQLite's bound on parameters), as our importer reads them."""

    def __init__(self, resource: resources.ModelResource, dataset: tablib.Dataset) -> None:
        super().__init__(resource, dataset)
        emails = [email.lower() for email in dataset["email"]]
        self.leads: dict[str, Lead] = {}
        for start in range(0, len(emails), 900):
            chunk = emails[start : start + 900]
            for lead in _by_address(resource.get_queryset()).filter(email_lower__in=chunk):
                self.leads[lead.email.lower()] = lead

    def get_instance(self, row: dict) -> Lead | None:
        return self.leads.get(self.resource.fields["email"].clean(row).lower())


def _lead_resource(organization: Organization, tuned: bool) -> resources.ModelResource:
    """django-import-export's ModelResource for leads, as its documentation configures one:
    the same columns, `clean_model_instances` for the same validation (full_clean: email,
    choices, the budget constraint, the unique address), and an instance loader on the
    index. Tuned as its page on bulk imports advises: bulk mode in batches of 5,000, no
    diff, and the cached instance loader."""

    class LeadResource(resources.ModelResource):
        class Meta:
            model = Lead
            import_id_fields = ["email"]
            fields = ["first_name", "last_name", "name", "email", "phone", "city", "status"]
            fields += ["budget_min", "budget_max", "source"]
            clean_model_instances = True
            instance_loader_class = CachedIndexedLoader if tuned else IndexedLoader
            use_bulk = tuned
            batch_size = 5000
            skip_diff = tuned

        def get_queryset(self) -> QuerySet[Lead]:
            return Lead.objects.filter(organization=organization)

        def before_import_row(self, row: dict, **kwargs: object) -> None:
            """The cells read as ours reads them (crm.importing.values), as a resource
            does in this hook: the name split into first and last, the phone in E.164 (kept
            as written when it is none), a status we do not know and a budget whose bottom
            is above its top left out."""
            first, last = split_full_name(row.pop("name", "") or "")
            row["first_name"], row["last_name"] = first[:100], last[:100]
            row["name"] = full_name(first[:100], last[:100])
            with contextlib.suppress(values.ValueProblem):
                row["phone"] = values.read_phone(row["phone"], organization.country)
            status = values.known_status(row["status"])
            if status:
                row["status"] = status
            else:
                del row["status"]
            low, high = int(row["budget_min"]), int(row["budget_max"])
            if low > high:
                del row["budget_min"], row["budget_max"]

        def before_save_instance(self, instance: Lead, row: dict, **kwargs: object) -> None:
            instance.organization = organization

        def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
            instance.organization = organization  # the unique check names it
            super().validate_instance(instance, import_validation_errors, validate_unique)

    return LeadResource()


def _import_with_resource(size: int, tuned: bool) -> dict:
    organization, data = prepare(size)
    dataset = tablib.Dataset().load(data.decode(), format="csv")
    before = rss_mb()
    started = time.perf_counter()
    result = _lead_resource(organization, tuned).import_data(dataset, raise_errors=False)
    seconds = time.perf_counter() - started
    totals = dict(result.totals)
    assert not totals["error"] and not result.base_errors, result.base_errors
    return {
        "value": size / seconds,
        "seconds": seconds,
        "peak_mb": round(rss_mb() - before, 1),
        "note": f"{'tuned' if tuned else 'defaults'}: {totals}",
        "output": _with_counts(
            checks.leads(organization, size),
            created=totals["new"],
            updated=totals["update"] + totals["skip"],
            rejected=totals["invalid"],
        ),
    }


def peer(size: int) -> dict:
    """django-import-export tuned as its documentation advises for large imports."""
    return _import_with_resource(size, tuned=True)


def defaults(size: int) -> dict:
    """django-import-export with its defaults: a lookup and a save per row."""
    return _import_with_resource(size, tuned=False)
