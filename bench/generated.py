"""Leads made by the database itself, for the stages at a million: SQLite's recursive
counter or PostgreSQL's generate_series, in seconds where an import would take minutes.

The leads are the CSV's kind (bench/data.py): names, cities, statuses, budgets; their ids
are random UUIDs, as Django makes them; one in a hundred has opted out. Every lead's
created_at is a minute apart, the newest a minute before now.
"""

from typing import Any

from django.db import connection

FIRST = ("James", "Maria", "Wei", "Priya", "Léa", "Omar", "Sofia", "John")
LAST = ("Smith", "Garcia", "Chen", "Patel", "Dubois", "Kim")
CITIES = ("Los Angeles", "Pasadena", "Burbank", "Paris", "Lyon")
STATUSES = ("new", "contacted", "qualified", "client", "lost")

_POSTGRESQL = """
INSERT INTO crm_lead (id, organization_id, first_name, last_name, name, email, phone, city,
    status, budget_min, budget_max, source, custom, consent_basis, unsubscribed_at,
    created_at, updated_at)
SELECT gen_random_uuid(), %(org)s, f.first, f.last, f.first || ' ' || f.last,
    'lead' || n || '@example.com', '+1310555' || lpad((n %% 10000)::text, 4, '0'),
    (%(cities)s::text[])[1 + n %% 5], (%(statuses)s::text[])[1 + n %% 5],
    300000 + (n %% 50) * 10000, 600000 + (n %% 50) * 20000, 'Zillow', '{}', 'unknown',
    CASE WHEN n %% 100 = 7 THEN now() END,
    now() - make_interval(mins => n), now() - make_interval(mins => n)
FROM generate_series(1, %(count)s) AS n
CROSS JOIN LATERAL (
    SELECT (%(first)s::text[])[1 + n %% 8] AS first, (%(last)s::text[])[1 + n %% 6] AS last
) f
"""

# SQLite keeps a UUID as 32 hex digits, and datetimes as text.
_SQLITE = """
WITH RECURSIVE counter(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM counter WHERE n < %(count)s)
INSERT INTO crm_lead (id, organization_id, first_name, last_name, name, email, phone, city,
    status, budget_min, budget_max, source, custom, consent_basis, unsubscribed_at,
    created_at, updated_at)
SELECT lower(hex(randomblob(16))), %(org)s, first, last, first || ' ' || last,
    'lead' || n || '@example.com', '+1310555' || printf('%%04d', n %% 10000),
    json_extract(%(cities)s, '$[' || (n %% 5) || ']'),
    json_extract(%(statuses)s, '$[' || (n %% 5) || ']'),
    300000 + (n %% 50) * 10000, 600000 + (n %% 50) * 20000, 'Zillow', '{}', 'unknown',
    CASE WHEN n %% 100 = 7 THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now') END,
    strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || n || ' minutes'),
    strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || n || ' minutes')
FROM (
    SELECT n, json_extract(%(first)s, '$[' || (n %% 8) || ']') AS first,
           json_extract(%(last)s, '$[' || (n %% 6) || ']') AS last
    FROM counter
)
"""


def leads_made(organization: Any, count: int) -> None:
    """`count` leads of the organization, made by one INSERT ... SELECT."""
    import json

    if connection.vendor == "postgresql":
        sql = _POSTGRESQL
        params: dict[str, Any] = {
            "org": organization.pk,
            "count": count,
            "cities": list(CITIES),
            "statuses": list(STATUSES),
            "first": list(FIRST),
            "last": list(LAST),
        }
    else:
        sql = _SQLITE
        params = {
            "org": organization.pk.hex,
            "count": count,
            "cities": json.dumps(CITIES),
            "statuses": json.dumps(STATUSES),
            "first": json.dumps(FIRST),
            "last": json.dumps(LAST),
        }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            # As autovacuum leaves a table that was filled long before a launch.
            cursor.execute("VACUUM ANALYZE crm_lead")
