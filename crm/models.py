"""Organizations, the staff who belong to them, their properties and their leads."""

import uuid
import zoneinfo

from babel import Locale
from babel.numbers import list_currencies
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Lower


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris).")


def validate_country(value: str) -> None:
    """ISO 3166-1 alpha-2, as CLDR (Babel) knows it: US, FR, CA, ES..."""
    if len(value) != 2 or value not in Locale("en").territories:
        raise ValidationError(f"{value!r} is not a country code (two letters, e.g. FR or US).")


def validate_currency(value: str) -> None:
    """ISO 4217: USD, EUR, CAD..."""
    if value not in list_currencies():
        raise ValidationError(f"{value!r} is not a currency code (three letters, e.g. EUR).")


def validate_language(value: str) -> None:
    """One of the languages the project writes emails and pages in (settings.LANGUAGES)."""
    if value not in dict(settings.LANGUAGES):
        known = ", ".join(code for code, _ in settings.LANGUAGES)
        raise ValidationError(f"{value!r} is not a language we write in ({known}).")


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=60,
        unique=True,
        help_text="The agency's short name in addresses. Only an owner can change it.",
    )
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        verbose_name="time zone",
        help_text="Every time in the admin is shown in this zone, and send windows follow "
        "it. Only an owner can change it.",
    )
    postal_address = models.TextField(
        help_text="Printed in the footer of every campaign email (required by anti-spam law)."
    )
    # Where the agency works, and so how its leads read: phone numbers, the address format,
    # the email rules that apply; the language and money its emails are written in.
    country = models.CharField(
        max_length=2,
        default="US",
        validators=[validate_country],
        help_text="Two letters (US, FR, CA...): phone numbers and the email rules that apply.",
    )
    language = models.CharField(
        max_length=8,
        default="en",
        validators=[validate_language],
        help_text="The language of the emails' footer, listing cards and unsubscribe pages.",
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[validate_currency],
        help_text="Three letters (USD, EUR, CAD...): how prices are written in emails.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The agency's time zone: its send windows, its days, the times its staff read."""
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    """A staff member's place in an organization. Every role works with its leads and
    campaigns; managers and owners may change the organization itself, and only owners
    what changes its pages' addresses and clock (OWNER_FIELDS)."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MANAGER = "manager", "Manager"
        AGENT = "agent", "Agent"

    EDITORS = (Role.OWNER, Role.MANAGER)
    OWNER_FIELDS = ("slug", "timezone")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="crm_membership_unique_user_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organization} ({self.get_role_display()})"


OWNER_NOT_MEMBER = "This agent is not a member of the lead's organization."


class Property(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        UNDER_OFFER = "under_offer", "Under offer"
        SOLD = "sold", "Sold"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Listing alerts tell nobody about these.
    OFF_MARKET = (Status.SOLD, Status.WITHDRAWN)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="properties"
    )
    title = models.CharField(max_length=200)
    city = models.CharField(max_length=100, blank=True)
    address = models.CharField(max_length=255, blank=True)
    price = models.PositiveBigIntegerField(null=True, blank=True)
    bedrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    url = models.URLField(blank=True)
    photo_url = models.URLField(
        blank=True, verbose_name="photo", help_text="The address of a photo of the listing."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AVAILABLE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "properties"
        indexes = [models.Index(fields=["organization", "city"])]

    def __str__(self) -> str:
        return self.title


# A lead's budget with its open ends closed (no minimum: 0; no maximum: the largest amount),
# so that "the budget fits a price" is two comparisons an index can serve: the listing-fit
# index below and crm.listing_matching read the budget through these same expressions.
BUDGET_CEILING = 2**63 - 1
LOWEST_BUDGET = Coalesce("budget_min", models.Value(0), output_field=models.BigIntegerField())
HIGHEST_BUDGET = Coalesce(
    "budget_max", models.Value(BUDGET_CEILING), output_field=models.BigIntegerField()
)


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        CLIENT = "client", "Client"
        LOST = "lost", "Lost"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="leads")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    city = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    budget_min = models.PositiveBigIntegerField(null=True, blank=True)
    budget_max = models.PositiveBigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True)
    property = models.ForeignKey(
        Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    # The agent who looks after the lead: a member of the lead's organization. Campaigns
    # set to send from each lead's agent go through their Gmail (campaigns/outbox/senders.py).
    # Indexed with the organization (the leads list filters by both), not alone.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_leads",
        db_index=False,
        verbose_name="agent",
        help_text="The member of the agency who looks after this lead.",
    )
    unsubscribed_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the lead opts out: no campaign email after."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One lead per address per organization, whatever the case of the address.
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                name="crm_lead_unique_email_per_org",
                violation_error_message="A lead with this email address already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_min__isnull=True)
                | models.Q(budget_max__isnull=True)
                | models.Q(budget_min__lte=models.F("budget_max")),
                name="crm_lead_budget_min_lte_max",
                violation_error_message="The minimum budget cannot exceed the maximum budget.",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "city"]),
            models.Index(fields=["organization", "source"]),
            models.Index(fields=["organization", "owner"]),
            # The leads a listing fits (crm.listing_matching): its city in any case, then a
            # range of the budget's top; its bottom and the status are read from the index.
            # On PostgreSQL it also holds what else the match reads (the id, the address
            # for the suppression list, the opt-out, and the columns under the expressions,
            # which PostgreSQL asks for): an index-only scan, the table never read. Not
            # partial: the planner uses the statistics of an index's expressions only then.
            models.Index(
                models.F("organization"),
                Lower("city"),
                HIGHEST_BUDGET,
                LOWEST_BUDGET,
                models.F("status"),
                name="crm_lead_listing_fit",
                include=["id", "email", "unsubscribed_at", "city", "budget_min", "budget_max"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def clean(self) -> None:
        linked = self.property  # None, without a query, when there is none
        if linked and self.organization_id and linked.organization_id != self.organization_id:
            raise ValidationError({"property": "This property belongs to another organization."})
        if (
            self.owner_id
            and self.organization_id
            and not Membership.objects.filter(
                user=self.owner_id, organization=self.organization_id
            ).exists()
        ):
            raise ValidationError({"owner": OWNER_NOT_MEMBER})


class SuppressedAddress(models.Model):
    """An address the organization must never email again (opt-out, hard bounce, by hand).

    Kept apart from the lead so that deleting and re-importing a lead cannot resubscribe it.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Hard bounce"
        MANUAL = "manual", "Added by staff"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="suppressed_addresses"
    )
    email = models.EmailField(max_length=254, help_text="Stored in lower case.")
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.MANUAL)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "suppressed address"
        verbose_name_plural = "suppression list"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                name="crm_suppressed_once",
                violation_error_message="This address is already on the suppression list.",
            )
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        self.email = self.email.strip().lower()
