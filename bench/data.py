"""Realistic generated data for the benchmarks: the same seed gives the same bytes."""

import csv
import io
import random

FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Carlos Maria Wei Mei Arjun Priya Hiroshi Yuki Omar Fatima Diego Sofia Léa Chloé Zoé"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Nguyen Kim "
    "Chen Patel Shah Tanaka Dubois Lefèvre Moreau Müller O'Brien"
).split()
CITIES = ["Los Angeles", "Santa Monica", "Pasadena", "Burbank", "Glendale", "Paris", "Lyon"]
SOURCES = ["Zillow", "Website form", "Open house", "Referral", "Facebook ad"]
STATUSES = ["new", "contacted", "qualified", "client", "lost"]
HEADER = ["name", "email", "phone", "city", "status", "budget_min", "budget_max", "source"]


def email_for(n: int) -> str:
    return f"lead{n}@example.com"


def lead_csv(rows: int, existing: int, bad_ratio: float = 0.02, seed: int = 1) -> bytes:
    """`rows` lines; the first `existing` addresses already exist; `bad_ratio` are invalid."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n in range(rows):
        low = rng.choice([300_000, 500_000, 750_000, 1_000_000])
        row = [
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            email_for(n),
            f"+1 310 555 {rng.randint(0, 9999):04d}",
            rng.choice(CITIES),
            rng.choice(STATUSES),
            low,
            low + rng.choice([100_000, 250_000]),
            rng.choice(SOURCES),
        ]
        if rng.random() < bad_ratio:
            kind = rng.randrange(3)
            if kind == 0:
                row[1] = f"lead{n}-at-example.com"
            elif kind == 1:
                row[4] = "hot"
            else:
                row[5], row[6] = row[6], row[5]
        writer.writerow(row)
    return out.getvalue().encode()
