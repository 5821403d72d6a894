"""Stage listing_matching: the leads a listing fits, among `size` leads of one agency, on
PostgreSQL (crm/listing_matching.py, campaigns/audiences/listing_fit.py).

The data, made by SQL (generate_series, a fixed seed): forty cities, the largest holding
about a sixth of the leads, written in three cases ("Los Angeles", "los angeles", "LOS
ANGELES"); budgets from 200,000 to 2,000,000, a few open at one end or both; every status;
one lead in a hundred opted out, one in two hundred on the suppression list. The listing
is in the largest city at 950,000; a tenth of the leads it fits were told about it by an
earlier alert. VACUUM ANALYZE after each insert, as autovacuum leaves a table.

- ours: `reachable_leads(alert)`, the city through lower() and the budget through the
  coalesced expressions of the `crm_lead_listing_fit` index (organization, lower(city),
  top of the budget, bottom of the budget, status): one range scan of the index;
- peer (the headline): the ORM filter with the city through Lower(), as ours, so that the
  same index serves its city; each end of the budget as "missing or within", the same
  opt-out, suppression and already-told conditions, on the same indexes: only the budget
  is left to the table, the part the budget columns save;
- a second peer, the plain ORM filter as Django's documentation writes it: `city__iexact`
  (which PostgreSQL runs as UPPER(city) = UPPER(...), which no index serves).

The figure is what an alert runs when it is made ("fits 37 leads"): the database finds the
leads and counts them, in seconds. Ours and a peer run in turn, nine times each after a
warm-up (a busy machine then slows both alike); each pair is a round of the ratio, the
figure the median; the best is in the note, and so is the time to fetch every id into
Python. The run fails unless both find the same ids.
"""

import statistics
import time
from typing import Any

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

ROUNDS = 9
PRICE = 950_000
CITIES = [
    "Los Angeles", "Pasadena", "Burbank", "Glendale", "Santa Monica", "Long Beach",
    "Culver City", "Beverly Hills", "Torrance", "Irvine", "Anaheim", "Santa Ana",
    "Riverside", "Ontario", "Pomona", "Whittier", "Downey", "Inglewood", "Compton",
    "Carson", "Alhambra", "Arcadia", "Monrovia", "Azusa", "Covina", "West Covina",
    "El Monte", "Montebello", "Norwalk", "Cerritos", "Lakewood", "Bellflower",
    "Redondo Beach", "Manhattan Beach", "Hermosa Beach", "Malibu", "Calabasas",
    "Thousand Oaks", "Simi Valley", "Ventura",
]  # fmt: skip


def generate(size: int) -> dict[str, Any]:
    from campaigns.models import AlertedLead, Campaign, ListingAlert
    from crm.listing_matching import fitting_leads
    from crm.models import Organization, Property

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(
        name="Bench Realty", slug="bench", postal_address="1 Main St"
    )
    Organization.objects.create(name="Other", slug="other", postal_address="2 Side St")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
            INSERT INTO crm_lead (id, organization_id, first_name, last_name, name, email, phone,
                city, status, budget_min, budget_max, source, custom, consent_basis,
                unsubscribed_at, created_at, updated_at)
            SELECT md5('lead' || n)::uuid, %(org)s, 'Lead', n::text, 'Lead ' || n,
                'lead' || n || '@example.com',
                '', CASE WHEN c.case_roll < 0.8 THEN c.city WHEN c.case_roll < 0.9
                         THEN lower(c.city) ELSE upper(c.city) END,
                (ARRAY['new','contacted','qualified','client','lost'])[1 + n %% 5],
                CASE WHEN b.open_roll < 0.06 THEN NULL ELSE b.low END,
                CASE WHEN b.open_roll >= 0.04 AND b.open_roll < 0.10 THEN NULL
                     ELSE b.low + b.width END,
                'Website', '{}', 'unknown', CASE WHEN n %% 100 = 7 THEN now() END, now(), now()
            FROM generate_series(1, %(size)s) AS n
            CROSS JOIN LATERAL (
                SELECT (%(cities)s::text[])[1 + floor(40 * power(random() + 0 * n, 2))::int]
                       AS city, random() AS case_roll
            ) c
            CROSS JOIN LATERAL (
                SELECT 200000 + 50000 * floor(random() * 37 + 0 * n)::int AS low,
                       100000 * (1 + floor(random() * 8 + 0 * n)::int) AS width,
                       random() AS open_roll
            ) b
            """,
            {"org": organization.pk, "size": size, "cities": CITIES},
        )
        cursor.execute(
            """
            INSERT INTO crm_suppressedaddress (organization_id, email, email_hash, reason, detail,
                created_at)
            SELECT %(org)s, 'lead' || n || '@example.com', '', 'manual', '', now()
            FROM generate_series(1, %(size)s) AS n WHERE n %% 200 = 3
            """,
            {"org": organization.pk, "size": size},
        )
        # As autovacuum leaves a table: statistics and the visibility map (index-only
        # scans) up to date.
        cursor.execute("VACUUM ANALYZE")
    generated = time.perf_counter() - started
    staff = User.objects.create(username="bench")
    campaign = Campaign.objects.create(
        organization=organization,
        name="Listing alerts",
        type=Campaign.Type.LISTING_ALERT,
        status=Campaign.Status.ACTIVE,
    )
    listing = Property.objects.create(
        organization=organization, title="Loft", city="Los Angeles", price=PRICE
    )
    earlier = ListingAlert.objects.create(
        organization=organization,
        campaign=campaign,
        property=listing,
        reason=ListingAlert.Reason.NEW,
        new_price=1_000_000,
        state=ListingAlert.State.SENT,
        created_by=staff,
    )
    alert = ListingAlert.objects.create(
        organization=organization,
        campaign=campaign,
        property=listing,
        reason=ListingAlert.Reason.PRICE_DROP,
        old_price=1_000_000,
        new_price=PRICE,
    )
    fitting = list(fitting_leads(listing).values_list("pk", flat=True))
    AlertedLead.objects.bulk_create(
        (AlertedLead(property=listing, lead_id=pk, alert=earlier) for pk in fitting[::10]),
        batch_size=5_000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE campaigns_alertedlead")
    return {"alert": alert, "generate_seconds": round(generated, 1)}


def plain_orm(alert: Any, *, lower_city: bool = False) -> Any:
    """The peer: the fitting leads as the ORM's documented lookups write them."""
    from django.db.models import Exists, OuterRef, Q, Value
    from django.db.models.functions import Lower

    from campaigns.models import AlertedLead
    from crm.models import Lead
    from crm.suppression import listed_leads

    item = alert.property
    leads = Lead.objects.filter(organization=item.organization_id, unsubscribed_at__isnull=True)
    if lower_city:
        leads = leads.alias(city_key=Lower("city")).filter(city_key=Lower(Value(item.city)))
    else:
        leads = leads.filter(city__iexact=item.city)
    leads = leads.filter(Q(budget_min__isnull=True) | Q(budget_min__lte=item.price))
    leads = leads.filter(Q(budget_max__isnull=True) | Q(budget_max__gte=item.price))
    # No status ticked: every lead but clients and lost leads, as for any campaign.
    leads = leads.filter(status__in=alert.campaign.alert_statuses or Lead.EMAILED_BY_DEFAULT)
    told = AlertedLead.objects.filter(property=item, lead=OuterRef("pk")).exclude(alert=alert)
    return leads.exclude(listed_leads()).exclude(Exists(told)).order_by()


def interleaved_ms(ours: Any, peer: Any) -> tuple[list[float], list[float]]:
    """Each run of ours followed by one of the peer, ROUNDS times after a warm-up of each,
    so that whatever else the machine does weighs on both alike; the times in ms."""
    ours(), peer()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for work, spent in zip((ours, peer), times, strict=True):
            started = time.perf_counter()
            work()
            spent.append((time.perf_counter() - started) * 1000)
    return times


def scan(leads: Any) -> str:
    """The plan's scan of the leads, in a few words."""
    plan = leads.values("pk").explain()
    for line in plan.splitlines():
        if "on crm_lead" in line:
            return line.strip().lstrip("-> ").split(" (cost")[0].strip()
    return plan.splitlines()[0]


def measure(size: int) -> dict[str, Any]:
    from campaigns.audiences.listing_fit import reachable_leads

    data = generate(size)
    alert = data["alert"]
    ours_leads = reachable_leads(alert)
    ours_ids = sorted(ours_leads.values_list("pk", flat=True))
    sample = ", ".join(str(pk)[:8] for pk in ours_ids[:3])
    row: dict[str, Any] = {}
    for label, lower_city, what in (
        ("peer", True, "the ORM filter with Lower(city), budget by ORs"),
        ("iexact", False, "the plain ORM filter (city__iexact)"),
    ):
        peer_leads = plain_orm(alert, lower_city=lower_city)
        peer_ids = sorted(peer_leads.values_list("pk", flat=True))
        assert ours_ids == peer_ids, f"{label}: the two differ"
        assert ours_leads.count() == peer_leads.count() == len(ours_ids)
        ours_ms, peer_ms = interleaved_ms(ours_leads.count, peer_leads.count)
        ours_fetch, peer_fetch = interleaved_ms(
            lambda: list(ours_leads.values_list("pk", flat=True)),
            lambda leads=peer_leads: list(leads.values_list("pk", flat=True)),
        )
        if label == "peer":
            row["ours"] = {
                "value": statistics.median(ours_ms) / 1000,
                "values": [ms / 1000 for ms in ours_ms],
                "note": f"ours: {len(ours_ids):,} of {size:,} leads fit (sample {sample}), "
                f"found and counted, best {min(ours_ms):.0f} ms; every id fetched into "
                f"Python {statistics.median(ours_fetch):.0f} ms; {scan(ours_leads)}; "
                f"data made in {data['generate_seconds']} s",
            }
        row[label] = {
            "value": statistics.median(peer_ms) / 1000,
            "values": [ms / 1000 for ms in peer_ms],
            "note": f"{label}: {what}, the same {len(peer_ids):,} ids and sample, best "
            f"{min(peer_ms):.0f} ms; every id {statistics.median(peer_fetch):.0f} ms; "
            f"{scan(peer_leads)}",
        }
    return {"listing_matching": row}
