"""Load the demo: two agencies, their staff, properties, leads and campaigns. Idempotent."""

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns import sequences, tracking, unsubscribe
from campaigns.audience import audience_of
from campaigns.models import Campaign, CampaignStep, EmailAccount, MessageLog
from crm.importing import leads_import
from crm.members import membership_create
from crm.models import Lead, Membership, Organization, Property

FIXTURES = Path(settings.BASE_DIR) / "fixtures"

ORGANIZATIONS = [
    {
        "slug": "sunset-realty",
        "name": "Sunset Realty",
        "timezone": "America/Los_Angeles",
        "postal_address": "1200 Sunset Blvd, Suite 300, Los Angeles, CA 90026, USA",
        "leads": "leads-sunset-realty.csv",
        "properties": [
            ("Modern loft in the Arts District", "Los Angeles", 875_000, 2),
            ("Craftsman bungalow near Lake Ave", "Pasadena", 1_150_000, 3),
            ("Ocean-view condo on Ocean Ave", "Santa Monica", 1_490_000, 2),
            ("Family home with pool", "Burbank", 1_320_000, 4),
            ("Starter condo by the Metro", "Glendale", 640_000, 1),
            ("Mid-century ranch", "Long Beach", 980_000, 3),
            ("Townhouse near Sony Studios", "Culver City", 1_050_000, 3),
            ("Gated estate off Benedict Canyon", "Beverly Hills", 4_900_000, 6),
        ],
    },
    {
        "slug": "maison-lumiere",
        "name": "Maison Lumière Immobilier",
        "timezone": "Europe/Paris",
        "postal_address": "18 rue des Martyrs, 75009 Paris, France",
        "leads": "leads-maison-lumiere.csv",
        "properties": [
            ("Appartement haussmannien, 3 pièces", "Paris", 1_080_000, 2),
            ("Studio lumineux à Montmartre", "Paris", 420_000, 1),
            ("Maison avec jardin", "Vincennes", 1_350_000, 4),
            ("Duplex avec terrasse", "Boulogne-Billancourt", 990_000, 3),
        ],
    },
]

# (username, password, organization slug or None for the superuser, role)
USERS = [
    ("admin", "admin", None, None),
    ("agent", "agent", "sunset-realty", Membership.Role.OWNER),
    ("agent-paris", "agent", "maison-lumiere", Membership.Role.OWNER),
]

WELCOME = """<p>Hi {{ lead.name }},</p>
<p>Thanks for your interest in homes in {{ lead.city | default("our area") }}.
I'm {{ sender.name }}, and I'll be your contact at {{ organization.name }}.</p>
<p>Reply to this email with what matters most to you, and I'll send listings that fit.</p>"""
FOLLOW_UP = """<p>Hi {{ lead.name }},</p>
<p>A few new listings came in this week. Would a short call on Thursday suit you?</p>"""
OFFER = """<p>Hi {{ lead.name }},</p>
<p>We're holding a private viewing this weekend. Reply and I'll save you a slot.</p>"""
OPEN_HOUSE = """<p>Hi {{ lead.name }},</p>
<p>Join us for our spring open house this Saturday, 11am–3pm. Coffee is on us.</p>"""


class Command(BaseCommand):
    help = "Create or refresh the demo data (safe to run again: nothing is duplicated)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Allow with DEBUG off.")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("The demo has well-known passwords: refusing with DEBUG off.")
        with transaction.atomic():
            organizations = {spec["slug"]: self.organization(spec) for spec in ORGANIZATIONS}
            for username, password, slug, role in USERS:
                self.user(username, password, organizations.get(slug), role)
            sunset = organizations["sunset-realty"]
            account = self.sending_account(sunset, User.objects.get(username="agent"))
            self.campaigns(sunset, account)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (user / password):"))
        for username, password, slug, _role in USERS:
            who = f"staff of {organizations[slug].name}" if slug else "superuser"
            self.stdout.write(f"  {username} / {password}  ({who})")

    def organization(self, spec: dict) -> Organization:
        organization, _ = Organization.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "timezone": spec["timezone"],
                "postal_address": spec["postal_address"],
            },
        )
        properties = []
        for title, city, price, bedrooms in spec["properties"]:
            item, _ = Property.objects.get_or_create(
                organization=organization,
                title=title,
                defaults={"city": city, "price": price, "bedrooms": bedrooms},
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

    def sending_account(self, organization: Organization, user: User) -> EmailAccount:
        account, _ = EmailAccount.objects.get_or_create(
            organization=organization,
            email_address="agent@sunset-realty.example",
            defaults={
                "user": user,
                "display_name": "Jordan at Sunset Realty",
                "is_primary": True,
                # Messages land in var/outbox/ as .eml files: nothing leaves the machine.
                "provider": EmailAccount.Provider.SANDBOX,
            },
        )
        return account

    def campaigns(self, organization: Organization, account: EmailAccount) -> None:
        blast, created = Campaign.objects.get_or_create(
            organization=organization,
            name="Spring open house",
            defaults={"type": Campaign.Type.BLAST, "email_account": account},
        )
        if created:
            CampaignStep.objects.create(
                campaign=blast,
                order=1,
                subject="You're invited: spring open house",
                body_template=OPEN_HOUSE,
            )
        sequence, created = Campaign.objects.get_or_create(
            organization=organization,
            name="New lead nurture",
            defaults={
                "type": Campaign.Type.SEQUENCE,
                "status": Campaign.Status.ACTIVE,
                "email_account": account,
                "audience_filter": {"status": ["new", "contacted", "qualified"]},
                "track_opens": True,
                "track_clicks": True,
            },
        )
        if created:
            steps = [
                (1, 0, "Welcome to {{ organization.name }}, {{ lead.name }}", WELCOME),
                (2, 3, "New listings in {{ lead.city | default('your area') }}", FOLLOW_UP),
                (3, 7, "A private viewing this weekend", OFFER),
            ]
            for order, offset, subject, body in steps:
                CampaignStep.objects.create(
                    campaign=sequence,
                    order=order,
                    offset_days=offset,
                    subject=subject,
                    body_template=body,
                )
        if not sequence.enrollments.exists():
            self.sequence_history(sequence)

    def sequence_history(self, sequence: Campaign) -> None:
        """Sixty leads who joined 9, 5 and 1 days ago, with what the sender did since: the
        funnel and the dashboards have a past, and the next steps fall due as the demo runs."""
        leads = list(audience_of(sequence).order_by("email").values_list("pk", flat=True)[:60])
        now = timezone.now()
        for group, days_ago in ((leads[:20], 9), (leads[20:40], 5), (leads[40:], 1)):
            sequences.enroll(
                sequence, Lead.objects.filter(pk__in=group), now - datetime.timedelta(days=days_ago)
            )
        for days_ago in range(9, -1, -1):
            moment = now - datetime.timedelta(days=days_ago)
            sequences.tick(moment)
            # Demo history: what the sender would have sent at that moment.
            MessageLog.objects.filter(campaign=sequence, status=MessageLog.Status.QUEUED).update(
                status=MessageLog.Status.SENT, sent_at=moment, provider_message_id="demo-history"
            )
        # And how people reacted: about four in ten opened, one in ten clicked.
        for index, log in enumerate(MessageLog.objects.filter(campaign=sequence).order_by("pk")):
            if index % 5 in (0, 2):
                log.opened_at, log.open_count = log.sent_at + datetime.timedelta(hours=3), 1
                log.status = MessageLog.Status.OPENED
                if index % 10 == 0:
                    log.clicked_at, log.click_count = log.opened_at, 1
                    log.status = MessageLog.Status.CLICKED
                log.save(
                    update_fields=["opened_at", "open_count", "clicked_at", "click_count", "status"]
                )
        self.sequence_outcomes(sequence)

    def sequence_outcomes(self, sequence: Campaign) -> None:
        """A few replies, bounces, an unsubscribe and failures, recorded the way the system
        records them (sequences stop, addresses are suppressed)."""
        Status = MessageLog.Status
        sent = list(MessageLog.objects.filter(campaign=sequence).order_by("sent_at", "pk"))
        for log in sent[3::17]:
            log.replied_at = log.sent_at + datetime.timedelta(hours=5)
            log.status = Status.REPLIED
            log.save(update_fields=["replied_at", "status"])
            sequences.stop(sequence.enrollments.filter(lead=log.lead_id), sequences.STOPPED_REPLIED)
        for log in sent[8::41]:
            tracking.record_bounce(
                log,
                "550 5.1.1 The email account that you tried to reach does not exist.",
            )
        MessageLog.objects.filter(pk__in=[log.pk for log in sent[8::41]]).update(
            bounced_at=F("sent_at") + datetime.timedelta(minutes=2)
        )
        unsubscribe.unsubscribe(sent[-6].lead)
        for log in sent[12::53]:
            log.status, log.sent_at = Status.FAILED, None
            log.error_message = "HTTP 400 invalidArgument: Invalid To header"
            log.save(update_fields=["status", "sent_at", "error_message"])
