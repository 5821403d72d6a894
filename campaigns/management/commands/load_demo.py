"""Load the demo: two agencies, their staff, properties, leads and campaigns. Idempotent;
`--reset` deletes the demo agencies and users first, back to the demo's first state."""

import datetime
from pathlib import Path
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from campaigns.accounts import domain_check
from campaigns.audiences.audience import audience_of
from campaigns.events import bounces, tracking, unsubscribes
from campaigns.listing_alerts import triggers
from campaigns.models import (
    Campaign,
    CampaignStep,
    Dispatch,
    EmailAccount,
    Enrollment,
    LinkClick,
    MessageLog,
)
from campaigns.outbox import claims, sending, tracking_links
from campaigns.reporting import stats
from campaigns.sequences import schedule
from crm import consent
from crm.importing.lead_import import leads_import
from crm.members import membership_create
from crm.models import ConsentBasis, ConsentRecord, Lead, Membership, Organization, Property
from crm.site.bulk import update_many

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
# The demo's past: the agencies opened two months ago, their leads came in until twelve
# days ago, the sequence started nine days ago and the sender worked hour by hour since.
OPENED_DAYS_AGO = 60
LAST_LEAD_DAYS_AGO = 12
HISTORY_DAYS = 9
JOINED_DAYS_AGO = (9, 5, 1)  # three groups of twenty leads enter the sequence
SEND_SPACING = datetime.timedelta(seconds=12)
MAX_TICKS = 100
INVALID_TO = "HTTP 400 invalidArgument: Invalid To header"
NO_SUCH_USER = "550 5.1.1 The email account that you tried to reach does not exist."

ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "slug": "sunset-realty",
        "name": "Sunset Realty",
        "timezone": "America/Los_Angeles",
        "country": "US",
        "language": "en",
        "currency": "USD",
        "postal_address": "1200 Sunset Blvd, Suite 300, Los Angeles, CA 90026, USA",
        "leads": "leads-sunset-realty.csv",
        # (title, city, price, bedrooms, bathrooms, area in square feet)
        "properties": [
            ("Modern loft in the Arts District", "Los Angeles", 875_000, 2, 2, 1_250),
            ("Craftsman bungalow near Lake Ave", "Pasadena", 1_150_000, 3, 2, 1_680),
            ("Ocean-view condo on Ocean Ave", "Santa Monica", 1_490_000, 2, 2, 1_320),
            ("Family home with pool", "Burbank", 1_320_000, 4, 3, 2_400),
            ("Starter condo by the Metro", "Glendale", 640_000, 1, 1, 780),
            ("Mid-century ranch", "Long Beach", 980_000, 3, 2, 1_750),
            ("Townhouse near Sony Studios", "Culver City", 1_050_000, 3, 3, 1_600),
            ("Gated estate off Benedict Canyon", "Beverly Hills", 4_900_000, 6, 7, 7_800),
        ],
    },
    {
        "slug": "maison-lumiere",
        "name": "Maison Lumière Immobilier",
        "timezone": "Europe/Paris",
        "country": "FR",
        "language": "fr",
        "currency": "EUR",
        "postal_address": "18 rue des Martyrs, 75009 Paris, France",
        "leads": "leads-maison-lumiere.csv",
        # (title, city, price, bedrooms, bathrooms, area in square metres)
        "properties": [
            ("Appartement haussmannien, 3 pièces", "Paris", 1_080_000, 2, 1, 78),
            ("Studio lumineux à Montmartre", "Paris", 420_000, 1, 1, 28),
            ("Maison avec jardin", "Vincennes", 1_350_000, 4, 2, 140),
            ("Duplex avec terrasse", "Boulogne-Billancourt", 990_000, 3, 2, 95),
        ],
    },
]

# (username, password, organization slug or None for the superuser, role)
USERS: list[tuple[str, str, str | None, Membership.Role | None]] = [
    ("admin", "admin", None, None),
    ("owner", "owner", "sunset-realty", Membership.Role.OWNER),
    ("agent", "agent", "sunset-realty", Membership.Role.AGENT),
    ("agent-paris", "agent", "maison-lumiere", Membership.Role.AGENT),
]

WELCOME = """<p>Hi {{ lead.name }},</p>
<p>Thanks for your interest in homes in {{ lead.city | default("our area") }}.
I'm {{ sender.name }}, and I'll be your contact at {{ organization.name }}.</p>
<p>Reply to this email with what matters most to you, and I'll send listings that fit.
Meanwhile, <a href="https://www.sunset-realty.example/listings">browse our listings</a>.</p>"""
FOLLOW_UP = """<p>Hi {{ lead.name }},</p>
<p>A few <a href="https://www.sunset-realty.example/listings/new">new listings</a> came in
this week. Would a short call on Thursday suit you?
<a href="https://www.sunset-realty.example/book-a-call">Pick a time</a>.</p>"""
OFFER = """<p>Hi {{ lead.name }},</p>
<p>We're holding a <a href="https://www.sunset-realty.example/private-viewing">private
viewing</a> this weekend. Reply and I'll save you a slot.</p>"""
# The browser a demo lead clicks with (a link scanner's would not be counted).
DEMO_BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36"
OPEN_HOUSE = """<p>Hi {{ lead.name }},</p>
<p>Join us for our spring open house this Saturday, 11am–3pm. Coffee is on us.</p>"""
LISTING_ALERT_SUBJECT = (
    "{% if property.old_price %}Price drop{% else %}Just listed{% endif %}: {{ property.title }} "
    "in {{ property.city }}"
)
LISTING_ALERT = """<p>Hi {{ lead.first_name | default("there", true) }},</p>
<p>{% if property.old_price %}The price of a home you may like just dropped.{% else %}A home
that fits your search in {{ property.city }} just came on the market.{% endif %}</p>
{{ listing_card }}
<p>Reply to this email and I'll arrange a viewing.<br>{{ sender.name }}</p>"""
# The demo has no network: its domains' checks are stored as if made three hours before
# loading, from the records these domains would publish (campaigns/accounts/domain_check.py
# turns them into words as it does DNS's answers). Sunset Realty's lacks DMARC.
DEMO_DKIM = (
    "v=DKIM1; k=rsa; p="
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA56GLM6OOnrTZdFfKFZDxjO/m3pR0eCWfC767"
    "OaEU0C8KscXqYE6rnf9AHqMHZPxWVp/9JOVTaroL7alBbphQva5uIcVXwnjnMeXySk9cVUPLXAT2BhdM"
    "UUjTJDlRQ32n6Y+zbSPWsT9+Kdmym9i31S6auXh9ZKJZ8wFsiQUjLpeddpbVCOLw8NJ1TObZ1MebmOnv"
    "Yuzmp4yZ2aX14Cela/ojMQFomzySXMXZoUenATiXxtqFtSgJ0Fe76tD5qkbtgUsltVqzakR680xCHkEg"
    "oI5UASbN8QqQIB70qyw1xPxaGpxZz2x/x8b2YNOMAJrDLJkeRAxpi3pCMrqmjFFYxwIDAQAB"
)
CHECKED_HOURS_AGO = 3


class DemoRecords(TypedDict):
    """What the demo's DNS holds for an agency's domain: SPF and DMARC texts, DKIM keys by
    selector."""

    spf: list[str]
    dkim: dict[str, str]
    dmarc: list[str]


DEMO_DNS: dict[str, DemoRecords] = {
    "sunset-realty": {
        "spf": ["v=spf1 include:_spf.google.com ~all"],
        "dkim": {"google": DEMO_DKIM},
        "dmarc": [],
    },
    "maison-lumiere": {
        "spf": ["v=spf1 include:_spf.google.com ~all"],
        "dkim": {"google": DEMO_DKIM},
        "dmarc": ["v=DMARC1; p=none; rua=mailto:dmarc@maison-lumiere.example"],
    },
}
# The Paris agency follows GDPR/PECR: its leads' consent comes from its contact form or
# their enquiries; one enquiry is older than the three years it allows, a few have none.
PARIS_FORM = "https://www.maison-lumiere.example/contact"
PARIS_WORDING = (
    "J'accepte de recevoir par email les annonces et les nouvelles de Maison Lumière "
    "Immobilier. Je peux me désinscrire à tout moment par le lien de chaque email."
)
EXPIRED_MONTHS_AGO = 40
PARIS_NEWS = """<p>Bonjour {{ lead.name }},</p>
<p>Trois appartements viennent d'arriver à {{ lead.city | default("Paris", true) }}. Répondez à
cet email et je vous envoie les détails.</p>"""
# Added when the demo loads, after the listing alert campaign is on: its alert waits for
# review on the home page (the README's walk-through).
NEW_LISTING = {
    "title": "Craftsman bungalow with a garden",
    "address": "12 Oak St",
    "city": "Pasadena",
    "price": 950_000,
    "bedrooms": 3,
    "bathrooms": 2,
    "area": 1_480,
    "url": "https://www.sunset-realty.example/listings/12-oak-st",
    "photo_url": "https://www.sunset-realty.example/photos/12-oak-st.jpg",
}

# Maison Lumière writes to its leads in French, prices in euros (Organization.language,
# .currency): the footer, the listing cards and the unsubscribe page follow.
HELLO = "<p>Bonjour{% if lead.first_name %} {{ lead.first_name }}{% endif %},</p>"
BIENVENUE = (
    HELLO
    + """
<p>Merci pour votre demande du {{ lead.created_at | date_local("long") }}. Je suis
{{ sender.name }}, votre contact chez {{ organization.name }} pour votre recherche à
{{ lead.city | default("Paris", true) }}.</p>
{% if lead.budget_max %}<p>Vous nous avez indiqué un budget jusqu'à
{{ lead.budget_max | money }} : je vous envoie les biens qui y correspondent dès qu'ils
arrivent.</p>{% endif %}
<p>Répondez simplement à cet e-mail pour me dire ce qui compte le plus pour vous : le
quartier, le nombre de pièces, un extérieur… En attendant,
<a href="https://www.maison-lumiere.example/annonces">découvrez nos annonces</a>.</p>
<p>Bien cordialement,<br>{{ sender.name }}</p>"""
)
NOUVEAUTES = (
    HELLO
    + """
<p>Plusieurs <a href="https://www.maison-lumiere.example/annonces/nouveautes">nouveaux
biens</a> sont arrivés cette semaine.{% if property %} Celui-ci pourrait vous
plaire :{% endif %}</p>
{{ listing_card }}
<p>Un appel jeudi vous conviendrait-il ?
<a href="https://www.maison-lumiere.example/rendez-vous">Choisissez un créneau</a>.</p>"""
)
VISITE = (
    HELLO
    + """
<p>Nous organisons une <a href="https://www.maison-lumiere.example/visite-privee">visite
privée</a> ce week-end. Répondez à cet e-mail et je vous réserve un créneau.</p>
<p>À très bientôt,<br>{{ sender.name }}</p>"""
)
ALERTE_SUBJECT = (
    "{% if property.old_price %}Baisse de prix{% else %}Nouveau bien{% endif %} : "
    "{{ property.title }} à {{ property.city }}"
)
ALERTE = (
    HELLO
    + """
<p>{% if property.old_price %}Le prix d'un bien qui pourrait vous plaire vient de
baisser.{% else %}Un bien qui correspond à votre recherche à {{ property.city }} vient
d'arriver sur le marché.{% endif %}</p>
{{ listing_card }}
<p>Répondez à cet e-mail et j'organise une visite.<br>{{ sender.name }}</p>"""
)
NOUVEAU_BIEN = {
    "title": "Trois pièces avec balcon",
    "address": "7 rue Lepic",
    "city": "Paris",
    "price": 685_000,
    "bedrooms": 2,
    "bathrooms": 1,
    "area": 62,
    "url": "https://www.maison-lumiere.example/annonces/7-rue-lepic",
    "photo_url": "https://www.maison-lumiere.example/photos/7-rue-lepic.jpg",
}

# Each agency's campaigns, in its own language: its sending account (user, address, name),
# a blast, a sequence (with the groups of leads that joined it, days ago), and a listing
# alert campaign with the listing whose alert waits for review.
CAMPAIGNS: dict[str, dict[str, Any]] = {
    "sunset-realty": {
        "account": ("agent", "agent@sunset-realty.example", "Jordan at Sunset Realty"),
        "blast": ("Spring open house", "You're invited: spring open house", OPEN_HOUSE),
        "sequence": (
            "New lead nurture",
            [
                (1, 0, "Welcome to {{ organization.name }}, {{ lead.name }}", WELCOME),
                (2, 3, "New listings in {{ lead.city | default('your area') }}", FOLLOW_UP),
                (3, 7, "A private viewing this weekend", OFFER),
            ],
        ),
        "joined": (JOINED_DAYS_AGO, 20),
        "alerts": (
            "New listings and price drops",
            LISTING_ALERT_SUBJECT,
            LISTING_ALERT,
            NEW_LISTING,
        ),
    },
    "maison-lumiere": {
        "account": ("agent-paris", "agence@maison-lumiere.example", "Camille Laurent"),
        "blast": (
            "Nouvelles annonces à Paris",
            "Nouvelles annonces à {{ lead.city | default('Paris', true) }}",
            PARIS_NEWS,
        ),
        "sequence": (
            "Suivi des nouveaux contacts",
            [
                (1, 0, "Bienvenue chez {{ organization.name }}", BIENVENUE),
                (2, 3, "Nouveaux biens à {{ lead.city | default('Paris', true) }}", NOUVEAUTES),
                (3, 7, "Une visite privée ce week-end", VISITE),
            ],
        ),
        "joined": ((6, 2), 10),
        "alerts": ("Nouveaux biens et baisses de prix", ALERTE_SUBJECT, ALERTE, NOUVEAU_BIEN),
    },
}


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data (safe to run again: nothing is duplicated); "
        "--reset starts it over."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Allow with DEBUG off.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo agencies (their leads, campaigns, messages...) and the demo "
            "users first, then load the demo as new.",
        )

    def handle(self, *args: Any, force: bool, reset: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("The demo has well-known passwords: refusing with DEBUG off.")
        loading = timezone.now()
        with transaction.atomic():
            if reset:
                self.delete_demo()
            organizations = {spec["slug"]: self.organization(spec) for spec in ORGANIZATIONS}
            for username, password, slug, role in USERS:
                self.user(username, password, organizations[slug] if slug else None, role)
            accounts = {
                slug: self.sending_account(organizations[slug], *spec["account"])
                for slug, spec in CAMPAIGNS.items()
            }
            self.backdate(list(organizations.values()), loading)
            # Consent first: the Paris sequence enrols only the leads its rules allow.
            self.paris_consent(organizations["maison-lumiere"], loading)
            # One agency's history after the other: the tick queues every sequence's steps.
            for slug, spec in CAMPAIGNS.items():
                self.campaigns(organizations[slug], accounts[slug], loading, spec)
            for slug, account in accounts.items():
                self.domain_check(organizations[slug], account, loading)
        if reset:
            stats.refresh()  # the home's sums no longer hold the deleted messages
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (user / password):"))
        for username, password, slug, role in USERS:
            who = (
                f"{role.label.lower()} at {organizations[slug].name}"
                if slug and role
                else "superuser"
            )
            self.stdout.write(f"  {username} / {password}  ({who})")

    def delete_demo(self) -> None:
        """The demo agencies with everything they hold, and the demo users."""
        demo = Organization.objects.filter(slug__in=[spec["slug"] for spec in ORGANIZATIONS])
        # Messages, dispatches and campaigns first: they protect steps and sending accounts.
        for model in (MessageLog, Dispatch, Campaign):
            model.objects.filter(organization__in=demo).delete()
        deleted = demo.delete()[1].get("crm.Organization", 0)
        User.objects.filter(username__in=[username for username, *_ in USERS]).delete()
        self.stdout.write(f"Deleted {deleted} demo agencies and the demo users.")

    def organization(self, spec: dict) -> Organization:
        organization, _ = Organization.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "timezone": spec["timezone"],
                "country": spec["country"],
                "language": spec["language"],
                "currency": spec["currency"],
                "postal_address": spec["postal_address"],
            },
        )
        properties = []
        for title, city, price, bedrooms, bathrooms, area in spec["properties"]:
            item, _ = Property.objects.get_or_create(
                organization=organization,
                title=title,
                defaults={
                    "city": city,
                    "price": price,
                    "bedrooms": bedrooms,
                    "bathrooms": bathrooms,
                    "area": area,
                },
            )
            properties.append(item)
        report = leads_import(
            organization=organization, data=(FIXTURES / spec["leads"]).read_bytes()
        )
        self.stdout.write(f"{organization.name}: {report.summary()}")
        # Link one lead in five to a listing in their city, once.
        by_city = {item.city: item for item in properties}
        unlinked = Lead.objects.filter(organization=organization, property__isnull=True)
        if not Lead.objects.filter(organization=organization, property__isnull=False).exists():
            for index, lead in enumerate(unlinked.order_by("email")):
                if index % 5 == 0 and lead.city in by_city:
                    lead.property = by_city[lead.city]
                    lead.save(update_fields=["property"])
        return organization

    def backdate(self, organizations: list[Organization], loading: datetime.datetime) -> None:
        """What this run created gets the demo's past: the agency, its staff, listings and
        account two months ago, its leads one by one until twelve days ago (before any
        message). Rows made by staff since the demo was loaded are left alone."""
        opened = loading - datetime.timedelta(days=OPENED_DAYS_AGO)
        new = {"organization__in": organizations, "created_at__gte": loading}
        Organization.objects.filter(
            pk__in=[o.pk for o in organizations], created_at__gte=loading
        ).update(created_at=opened)
        for model in (Property, Membership, EmailAccount):
            model.objects.filter(**new).update(created_at=opened)
        User.objects.filter(
            username__in=[username for username, *_ in USERS], date_joined__gte=loading
        ).update(date_joined=opened)
        leads = list(Lead.objects.filter(**new).order_by("email"))
        span = datetime.timedelta(days=OPENED_DAYS_AGO - LAST_LEAD_DAYS_AGO)
        for index, lead in enumerate(leads):
            lead.created_at = lead.updated_at = opened + span * index / max(len(leads), 1)
        update_many(leads, ["created_at", "updated_at"])

    def user(self, username: str, password: str, organization: Any, role: Any) -> None:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com", "is_staff": True}
        )
        if created:
            user.set_password(password)
            user.is_superuser = organization is None
            user.save()
        if organization is not None:
            membership_create(user=user, organization=organization, role=role)

    def sending_account(
        self, organization: Organization, username: str, address: str, name: str
    ) -> EmailAccount:
        account, _ = EmailAccount.objects.get_or_create(
            organization=organization,
            email_address=address,
            defaults={
                "user": User.objects.get(username=username),
                "display_name": name,
                "is_primary": True,
                # Messages land in var/outbox/ as .eml files: nothing leaves the machine.
                "provider": EmailAccount.Provider.SANDBOX,
            },
        )
        return account

    def paris_consent(self, organization: Organization, loading: datetime.datetime) -> None:
        """Each Paris lead's consent, once: express from the contact form (with its words),
        or an enquiry through a portal; the first lead's enquiry is 40 months old (expired
        under GDPR/PECR's three years here), one lead in seven has none on record."""
        if ConsentRecord.objects.filter(organization=organization).exists():
            return
        leads = Lead.objects.filter(organization=organization)
        today = consent.today_of(organization, loading)
        for index, lead in enumerate(leads.order_by("email")):
            if index == 0:
                given = consent.months_before(today, EXPIRED_MONTHS_AGO)
                consent.consent_record(
                    lead=lead,
                    basis=ConsentBasis.ENQUIRY,
                    given_on=given,
                    source=ConsentRecord.Source.IMPORT,
                    source_detail=f"{lead.source or 'SeLoger'}: an enquiry about a listing",
                )
            elif index % 7 == 3:
                continue
            elif index % 3 == 0:
                consent.consent_record(
                    lead=lead,
                    basis=ConsentBasis.EXPRESS,
                    given_on=today - datetime.timedelta(days=10 + index * 3),
                    source=ConsentRecord.Source.FORM,
                    source_detail=PARIS_FORM,
                    wording=PARIS_WORDING,
                )
            else:
                consent.consent_record(
                    lead=lead,
                    basis=ConsentBasis.ENQUIRY,
                    given_on=today - datetime.timedelta(days=5 + index * 2),
                    source=ConsentRecord.Source.IMPORT,
                    source_detail=f"{lead.source or 'Site web'}: an enquiry about a listing",
                )
        ConsentRecord.objects.filter(organization=organization).update(
            recorded_at=loading - datetime.timedelta(days=LAST_LEAD_DAYS_AGO)
        )

    def domain_check(
        self, organization: Organization, account: EmailAccount, loading: datetime.datetime
    ) -> None:
        """The account's domain as checked three hours before loading (the demo's DNS)."""
        records = DEMO_DNS[organization.slug]
        domain_check.check_record(
            organization,
            account.domain,
            spf=records["spf"],
            dkim=records["dkim"],
            dmarc=records["dmarc"],
            at=loading - datetime.timedelta(hours=CHECKED_HOURS_AGO),
        )

    def campaigns(
        self,
        organization: Organization,
        account: EmailAccount,
        loading: datetime.datetime,
        spec: dict[str, Any],
    ) -> None:
        name, subject, body = spec["blast"]
        blast, created = Campaign.objects.get_or_create(
            organization=organization,
            name=name,
            defaults={"type": Campaign.Type.BLAST, "email_account": account},
        )
        if created:
            Campaign.objects.filter(pk=blast.pk).update(
                created_at=loading - datetime.timedelta(days=2)
            )
            CampaignStep.objects.create(
                campaign=blast, order=1, subject=subject, body_template=body
            )
        name, steps = spec["sequence"]
        sequence, created = Campaign.objects.get_or_create(
            organization=organization,
            name=name,
            defaults={
                "type": Campaign.Type.SEQUENCE,
                "email_account": account,
                "audience_filter": {"status": ["new", "contacted", "qualified"]},
                "track_opens": True,
                "track_clicks": True,
            },
        )
        if created:
            for order, offset, subject, body in steps:
                CampaignStep.objects.create(
                    campaign=sequence,
                    order=order,
                    offset_days=offset,
                    subject=subject,
                    body_template=body,
                )
            self.sequence_history(sequence, loading, *spec["joined"])
        self.listing_alerts(organization, account, *spec["alerts"])

    def listing_alerts(
        self,
        organization: Organization,
        account: EmailAccount,
        name: str,
        subject: str,
        body: str,
        new_listing: dict[str, Any],
    ) -> None:
        """A listing alert campaign, on; then a new listing, whose alert waits for review."""
        campaign, created = Campaign.objects.get_or_create(
            organization=organization,
            name=name,
            # Alerts go out at any hour, so the demo's send shows its messages at once.
            defaults={
                "type": Campaign.Type.LISTING_ALERT,
                "email_account": account,
                "window_start": datetime.time(0, 0),
                "window_end": datetime.time(23, 59),
                "send_on_weekends": True,
            },
        )
        if created:
            CampaignStep.objects.create(
                campaign=campaign, order=1, subject=subject, body_template=body
            )
            triggers.alerts_turn_on(campaign=campaign)
        listed = Property.objects.filter(organization=organization, address=new_listing["address"])
        if not listed.exists():
            triggers.property_save(item=Property(organization=organization, **new_listing))

    def sequence_history(
        self,
        sequence: Campaign,
        now: datetime.datetime,
        joined: tuple[int, ...],
        group_size: int,
    ) -> None:
        """Groups of leads who joined `joined` days ago (Sunset Realty: three groups of
        twenty, 9, 5 and 1 days ago), and what the sender did since, through the real tick
        and outbox: every date follows the one before it (queued, sent, opened, replied), and
        a lead who replied, bounced or could not be sent to got nothing more. The next steps
        fall due as the demo runs."""
        started = now - datetime.timedelta(days=HISTORY_DAYS)
        sequence.launch()
        Campaign.objects.filter(pk=sequence.pk).update(
            launched_at=started, created_at=started - datetime.timedelta(days=1)
        )
        everyone = audience_of(sequence).order_by("email").values_list("pk", flat=True)
        leads = list(everyone[: len(joined) * group_size])
        for index, days_ago in enumerate(joined):
            group = Lead.objects.filter(pk__in=leads[index * group_size : (index + 1) * group_size])
            schedule.enroll(sequence, group, now - datetime.timedelta(days=days_ago))
        Enrollment.objects.filter(campaign=sequence).update(created_at=F("started_at"))
        # The tick runs at each moment something falls due (the real sender ticks every
        # minute), until an hour ago: what fell due since is the running sender's to send.
        sent = 0
        waiting = Enrollment.objects.filter(campaign=sequence, state=Enrollment.State.ACTIVE)
        for _ in range(MAX_TICKS):
            moment = waiting.aggregate(first=Min("next_due_at"))["first"]
            if moment is None or moment > now - datetime.timedelta(hours=1):
                break
            schedule.tick(moment)
            sent = self.send_history(sequence, moment, now, sent)
        # And someone opts out now, from the latest message they got.
        latest = MessageLog.objects.filter(campaign=sequence, sent_at__isnull=False)
        unsubscribes.unsubscribe(latest.order_by("-sent_at", "lead__email")[5].lead)

    def send_history(
        self, sequence: Campaign, moment: datetime.datetime, now: datetime.datetime, count: int
    ) -> int:
        """What the sender did with the messages the tick queued at `moment`, one every few
        seconds, and how people reacted later (never later than now). `count` numbers the
        messages of the whole history, so the outcomes are the same on every load."""
        account = sequence.email_account
        assert account is not None  # the demo's sequence sends from the demo's account
        queued = MessageLog.objects.filter(campaign=sequence, status=MessageLog.Status.QUEUED)
        for index, message in enumerate(queued.order_by("lead__email"), start=1):
            count += 1
            at = moment + SEND_SPACING * index
            MessageLog.objects.filter(pk=message.pk).update(
                status=MessageLog.Status.SENDING, created_at=moment, claimed_at=at
            )
            sending.render_claimed(message, account)
            if count % 53 == 12:
                claims.finish(message, MessageLog.Status.FAILED, error_message=INVALID_TO)
                MessageLog.objects.filter(pk=message.pk).update(updated_at=at)
                continue
            claims.finish(
                message,
                MessageLog.Status.SENT,
                sent_at=at,
                provider_message_id=f"demo-history-{count}",
                thread_id=f"demo-thread-{message.lead_id}",
            )
            MessageLog.objects.filter(pk=message.pk).update(updated_at=at)
            self.reactions(message, at, now, count)
        return count

    def reactions(
        self, message: MessageLog, sent_at: datetime.datetime, now: datetime.datetime, count: int
    ) -> None:
        """About four in ten open (three hours later), one in ten clicks, one in seventeen
        replies (five hours later), one in forty-one bounces (two minutes later)."""
        hours = datetime.timedelta(hours=1)
        if count % 41 == 8:
            bounces.record_bounce(message, NO_SUCH_USER)
            bounced = sent_at + datetime.timedelta(minutes=2)
            MessageLog.objects.filter(pk=message.pk).update(bounced_at=bounced, updated_at=bounced)
            return
        if count % 5 in (0, 2) and sent_at + 3 * hours <= now:
            opened = sent_at + 3 * hours
            MessageLog.objects.filter(pk=message.pk).update(
                status=MessageLog.Status.OPENED, opened_at=opened, open_count=1, updated_at=opened
            )
            if count % 10 == 0:
                self.click(message, count, opened + datetime.timedelta(minutes=4))
        replied = sent_at + 5 * hours
        if count % 17 == 3 and replied <= now:
            tracking.record_reply(message, replied)
            MessageLog.objects.filter(pk=message.pk).update(updated_at=replied)

    def click(self, message: MessageLog, count: int, at: datetime.datetime) -> None:
        """A click through the message's real tracking link (one of its links, by turns),
        dated `at`."""
        message.refresh_from_db(fields=["links"])
        if not message.links:
            return
        index = (count // 10) % len(message.links)
        tracking.record_click(tracking_links.click_token(message, index), DEMO_BROWSER)
        MessageLog.objects.filter(pk=message.pk).update(clicked_at=at, updated_at=at)
        LinkClick.objects.filter(message=message).update(clicked_at=at)
