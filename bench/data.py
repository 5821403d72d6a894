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
# A campaign's filter that reaches every lead: with no status named, clients and lost
# leads are left out (campaigns/audiences/audience.py), and a blast would reach 60% of them.
EVERY_STATUS = {"status": ["new", "contacted", "qualified", "client", "lost"]}
HEADER = ["name", "email", "phone", "city", "status", "budget_min", "budget_max", "source"]


def email_for(n: int) -> str:
    return f"lead{n}@example.com"


def lead_csv(rows: int, bad_ratio: float = 0.02, seed: int = 1) -> bytes:
    """`rows` lines, addressed email_for(0) onwards (a stage that wants some known makes
    those leads first); `bad_ratio` of them are invalid."""
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


# A CRM's export (Follow Up Boss's words): the csv_import stage's file.
CRM_HEADER = [
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Stage",
    "Lead Source",
    "Price Min",
    "Price Max",
    "City",
    "Created",
    "Neighborhood",
]
STAGES = ["Lead", "Hot Prospect", "Nurture", "Closed", "Past Client", "Trash", "Prospect"]
NEIGHBORHOODS = ["Echo Park", "Silver Lake", "Los Feliz", "Highland Park", "", ""]


def _money(rng: random.Random, amount: int) -> str:
    """An amount as people write it: $450,000, 450k, €450.000, 450000, or N/A."""
    form = rng.randrange(5)
    if form == 0:
        return f"${amount:,}"
    if form == 1:
        return f"{amount // 1000}k"
    if form == 2:
        return f"€{amount:,}".replace(",", ".")
    if form == 3:
        return str(amount)
    return rng.choice(["N/A", "", "-"])


def crm_export_csv(rows: int, bad_ratio: float = 0.02, seed: int = 1) -> bytes:
    """`rows` leads as a CRM exports them, addressed email_for(0) onwards: prices with signs,
    k and N/A, the CRM's stages, US dates, a neighborhood (a custom field). `bad_ratio` of
    the rows have an address that is none, a stage we do not know or inverted prices."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CRM_HEADER)
    for n in range(rows):
        low = rng.choice([300_000, 500_000, 750_000, 1_000_000])
        high = low + rng.choice([100_000, 250_000])
        row = [
            rng.choice(FIRST),
            rng.choice(LAST),
            email_for(n),
            f"(310) 555-{rng.randint(0, 9999):04d}",
            rng.choice(STAGES),
            rng.choice(SOURCES),
            _money(rng, low),
            _money(rng, high),
            rng.choice(CITIES),
            f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2024",
            rng.choice(NEIGHBORHOODS),
        ]
        if rng.random() < bad_ratio:
            kind = rng.randrange(3)
            if kind == 0:
                row[2] = f"lead{n}-at-example.com"
            elif kind == 1:
                row[4] = "Kids of Closed Clients"
            else:
                row[6], row[7] = f"${high:,}", f"${low:,}"
        writer.writerow(row)
    return out.getvalue().encode()


HTML_TEMPLATE = (
    '<html><body style="font-family:Arial,sans-serif">'
    "<h1>Bonjour {{ lead.first_name }},</h1>"
    "<p>Thanks for your interest in homes in {{ lead.city }}. Your budget of "
    "{{ lead.budget_min }} to {{ lead.budget_max }} fits several of our listings.</p>"
    + "".join(
        f"<p>Listing {n}: a bright {n + 1}-bedroom home with a garden, close to schools and "
        f'transport, renovated in 202{n}. <a href="https://agency.example/listings/{n}">'
        "See the photos</a>.</p>"
        for n in range(8)
    )
    + "<p>Reply to this email and {{ sender.name }} will call you.</p>"
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · {{ organization.postal_address }}</p>'
    "</body></html>"
)
SUBJECT_TEMPLATE = (
    "New homes in {{ lead.city }} for {{ lead.first_name }} — {{ organization.name }}"
)


def message_contexts(count: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    contexts = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        low = rng.choice([300_000, 500_000, 750_000])
        contexts.append(
            {
                "lead": {
                    "name": f"{first} {last}",
                    "first_name": first,
                    "last_name": last,
                    "email": f"lead{n}@example.com",
                    "phone": "",
                    "city": rng.choice(CITIES),
                    "status": "new",
                    "budget_min": low,
                    "budget_max": low + 200_000,
                    "source": "Zillow",
                },
                "property": None,
                "organization": {
                    "name": "Maison Lumière",
                    "postal_address": "18 rue des Martyrs, Paris",
                },
                "sender": {"name": "Jordan Dupré", "email": "jordan@agency.example"},
                "unsubscribe_url": f"https://app.agency.example/u/{n:08d}:token/",
            }
        )
    return contexts
