"""Stage 1, csv_import: leads from a CRM's export (100,000 rows, a tenth of them already
known, 2% bad), ours against django-import-export configured as its documentation advises.

The file is as a CRM writes it (bench.data.crm_export_csv): its own column names, prices
with signs, k and N/A, its stages, US dates, a column of ours does not have. Ours maps the
columns by their names and reads the values itself; the peer maps and reads them in
`before_import_row`, import-export's hook for it, with the same readers
(crm.importing.values) and the same rules, so that both produce the same leads."""

import contextlib
import json
import time
from typing import TYPE_CHECKING, Any, TypedDict

import tablib
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from import_export import instance_loaders, resources

from bench import checks
from bench.data import crm_export_csv, email_for
from bench.timing import rss_mb
from crm.importing import values
from crm.importing.lead_import import leads_import
from crm.models import Lead, Organization, full_name
from crm.site.bulk import column_of

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

BUDGET_UPSIDE_DOWN = "The minimum budget cannot exceed the maximum budget."


def prepare(size: int) -> tuple[Organization, bytes]:
    """An organization with a tenth of the file's leads already known; the file."""
    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", slug="bench", postal_address="x")
    existing = size // 10
    Lead.objects.bulk_create(
        Lead(organization=organization, name=f"Old {n}", email=email_for(n))
        for n in range(existing)
    )
    return organization, crm_export_csv(size)


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
        emails = [email.strip().lower() for email in dataset["email"]]
        self.leads: dict[str, Lead] = {}
        for start in range(0, len(emails), 900):
            chunk = emails[start : start + 900]
            for lead in _by_address(resource.get_queryset()).filter(email_lower__in=chunk):
                self.leads[lead.email.lower()] = lead

    def get_instance(self, row: dict) -> Lead | None:
        return self.leads.get(self.resource.fields["email"].clean(row).lower())


def _lead_resource(
    organization: Organization, tuned: bool, lean: bool = False
) -> resources.ModelResource:
    """django-import-export's ModelResource for leads, as its documentation configures one:
    the same columns, `clean_model_instances` for the same validation (full_clean: email,
    choices, the budget constraint, the unique address), and an instance loader on the
    index. Tuned as its page on bulk imports advises: bulk mode in batches of 5,000, no
    diff, and the cached instance loader.

    `lean`: the same validation without a query per row, as a maintainer would write it
    for a bulk import: full_clean without the organization's foreign key (the resource sets
    it), without the unique check (the cached loader already found the known addresses; the
    database's unique index still guards) and without the constraints' queries (the budget
    bound checked in Python instead)."""

    class LeadResource(resources.ModelResource):
        class Meta:
            model = Lead
            import_id_fields = ["email"]
            fields = ["name", "first_name", "last_name", "email", "phone", "city", "status"]
            fields += ["budget_min", "budget_max", "source", "custom"]
            clean_model_instances = True
            instance_loader_class = CachedIndexedLoader if tuned else IndexedLoader
            use_bulk = tuned
            batch_size = 5000
            skip_diff = tuned

        def get_queryset(self) -> QuerySet[Lead]:
            return Lead.objects.filter(organization=organization)

        def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
            # The lead's key column, under the name import_id_fields looks for.
            dataset.headers = ["email" if name == "Email" else name for name in dataset.headers]

        def before_import_row(self, row: Any, **kwargs: Any) -> None:
            row.update(crm_row(row))

        def before_save_instance(self, instance: Lead, row: dict, **kwargs: object) -> None:
            instance.organization = organization

        def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
            instance.organization = organization  # the unique check names it
            if not lean:
                super().validate_instance(instance, import_validation_errors, validate_unique)
                return
            errors = dict(import_validation_errors or {})
            try:
                instance.full_clean(
                    exclude=[*errors, "organization"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                errors = error.update_error_dict(errors)
            low, high = instance.budget_min, instance.budget_max
            if low is not None and high is not None and low > high:
                errors.setdefault("budget_min", []).append(BUDGET_UPSIDE_DOWN)
            if errors:
                raise ValidationError(errors)

    return LeadResource()


def _cell(row: Any, name: str) -> str:
    cell = (row.get(name) or "").strip()
    return "" if values.is_blank(cell) else cell


def _amount(cell: str) -> int | None:
    try:
        return values.read_amounts(cell)[0] if cell else None
    except values.ValueProblem:
        return None


def crm_row(row: Any) -> dict[str, Any]:
    """The peer's mapping of a CRM's row to the lead's fields, with the importer's readers
    and rules: a phone to E.164 (kept as written when it is none), a stage we do not know
    leaves the status as it is (New: the stage's known leads are all New), prices left out
    when they cannot be read or are inverted, a date and a neighborhood as custom fields."""
    first, last = _cell(row, "First Name"), _cell(row, "Last Name")
    phone = _cell(row, "Phone")
    if phone:
        with contextlib.suppress(values.ValueProblem):  # kept as written
            phone = values.read_phone(phone, "US")
    low, high = _amount(_cell(row, "Price Min")), _amount(_cell(row, "Price Max"))
    if low is not None and high is not None and low > high:
        low = high = None
    custom = {}
    if created := _cell(row, "Created"):
        custom["created"] = values.read_date(created)
    if neighborhood := _cell(row, "Neighborhood"):
        custom["neighborhood"] = neighborhood
    return {
        "first_name": first,
        "last_name": last,
        "name": full_name(first, last),
        "email": _cell(row, "email"),
        "phone": phone,
        "status": values.known_status(_cell(row, "Stage")) or Lead.Status.NEW,
        "source": _cell(row, "Lead Source"),
        "budget_min": low,
        "budget_max": high,
        "city": _cell(row, "City"),
        "custom": json.dumps(custom),
    }


def _import_with_resource(size: int, tuned: bool, lean: bool = False) -> dict:
    organization, data = prepare(size)
    dataset = tablib.Dataset().load(data.decode(), format="csv")
    before = rss_mb()
    started = time.perf_counter()
    resource = _lead_resource(organization, tuned, lean)
    result = resource.import_data(dataset, raise_errors=False)
    seconds = time.perf_counter() - started
    totals = dict(result.totals)
    assert not totals["error"] and not result.base_errors, result.base_errors
    return {
        "value": size / seconds,
        "seconds": seconds,
        "peak_mb": round(rss_mb() - before, 1),
        "note": f"{'lean' if lean else 'tuned' if tuned else 'defaults'}: {totals}",
        "output": _with_counts(
            checks.leads(organization, size),
            created=totals["new"],
            updated=totals["update"] + totals["skip"],
            rejected=totals["invalid"],
        ),
    }


def peer(size: int) -> dict:
    """django-import-export tuned as its documentation advises for large imports, its
    validation without a query per row."""
    return _import_with_resource(size, tuned=True, lean=True)


def full_clean(size: int) -> dict:
    """django-import-export tuned, its validation the model's full_clean (about six queries
    a row: the organization, the unique address, the budget constraint, the key)."""
    return _import_with_resource(size, tuned=True)


def defaults(size: int) -> dict:
    """django-import-export with its defaults: a lookup and a save per row."""
    return _import_with_resource(size, tuned=False)


def limit(size: int) -> dict:
    """The physical limit: the rows the peer accepts, already read (untimed), written by raw
    executemany into the same table and indexes: an INSERT of the new leads and an UPDATE of
    the known ones, in one transaction."""
    organization, data = prepare(size)
    dataset = tablib.Dataset().load(data.decode(), format="csv")
    known = {lead.email.lower(): lead.pk for lead in Lead.objects.filter(organization=organization)}
    fields = ["name", "first_name", "last_name", "phone", "city", "status"]
    fields += ["budget_min", "budget_max", "source", "custom"]
    inserts, updates, rejected = [], [], 0
    for cells in dataset.dict:
        values_ = crm_row({("email" if k == "Email" else k): v for k, v in cells.items()})
        try:
            validate_email(values_["email"])
        except ValidationError:
            rejected += 1
            continue
        values_["custom"] = json.loads(values_["custom"])
        if values_["email"].lower() in known:
            updates.append([*(values_[name] for name in fields), known[values_["email"].lower()]])
            continue
        lead = Lead(organization=organization, **values_)
        inserts.append(lead)
    concrete = [f for f in Lead._meta.concrete_fields]
    rows = []
    for lead in inserts:
        rows.append([f.get_db_prep_save(f.pre_save(lead, True), connection) for f in concrete])
    by_name = {f.name: f for f in concrete}
    update_rows = [
        [
            *(
                by_name[name].get_db_prep_save(value, connection)
                for name, value in zip(fields, row[:-1], strict=True)
            ),
            by_name["id"].get_db_prep_save(row[-1], connection),
        ]
        for row in updates
    ]
    table = connection.ops.quote_name(Lead._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column_of(f)) for f in concrete)
    marks = ", ".join(["%s"] * len(concrete))
    setting = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in fields)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        cursor.executemany(f"UPDATE {table} SET {setting} WHERE id = %s", update_rows)
    seconds = time.perf_counter() - started
    return {
        "value": size / seconds,
        "seconds": seconds,
        "note": f"limit: raw executemany, {len(rows):,} inserted, {len(update_rows):,} "
        f"updated, {rejected:,} rejected, {seconds:.2f} s",
        "output": _with_counts(
            checks.leads(organization, size),
            created=len(rows),
            updated=len(update_rows),
            rejected=rejected,
        ),
    }
