"""Organizations, the staff who belong to them, their properties and their leads."""

import uuid
import zoneinfo
from typing import Any

from babel import Locale
from babel.numbers import list_currencies
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext_lazy as _

from crm.email_addresses import validate_sendable
from crm.plain_text import validate_no_control_characters


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)r is not a known time zone (e.g. Europe/Paris)."), params={"value": value}
        )


def validate_country(value: str) -> None:
    """ISO 3166-1 alpha-2, as CLDR (Babel) knows it: US, FR, CA, ES..."""
    if len(value) != 2 or value not in Locale("en").territories:
        raise ValidationError(
            _("%(value)r is not a country code (two letters, e.g. FR or US)."),
            params={"value": value},
        )


def validate_currency(value: str) -> None:
    """ISO 4217: USD, EUR, CAD..."""
    if value not in list_currencies():
        raise ValidationError(
            _("%(value)r is not a currency code (three letters, e.g. EUR)."),
            params={"value": value},
        )


def validate_language(value: str) -> None:
    """One of the languages the project writes emails and pages in (settings.LANGUAGES)."""
    if value not in dict(settings.LANGUAGES):
        known = ", ".join(code for code, _name in settings.LANGUAGES)
        raise ValidationError(
            _("%(value)r is not a language we write in (%(known)s)."),
            params={"value": value, "known": known},
        )


class Organization(models.Model):
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("id")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    slug = models.SlugField(
        max_length=60,
        unique=True,
        help_text=_("The agency's short name in addresses. Only an owner can change it."),
        verbose_name=_("slug"),
    )
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        verbose_name=_("time zone"),
        help_text=_(
            "Every time in the admin is shown in this zone, and send windows follow "
            "it. Only an owner can change it."
        ),
    )
    postal_address = models.TextField(
        help_text=_("Printed in the footer of every campaign email (required by anti-spam law)."),
        verbose_name=_("postal address"),
    )
    # Where the agency works, and so how its leads read: phone numbers, the address format,
    # the email rules that apply; the language and money its emails are written in.
    country = models.CharField(
        max_length=2,
        default="US",
        validators=[validate_country],
        help_text=_("Two letters (US, FR, CA...): phone numbers and the email rules that apply."),
        verbose_name=_("country"),
    )
    language = models.CharField(
        max_length=8,
        default="en",
        validators=[validate_language],
        help_text=_("The language of the emails' footer, listing cards and unsubscribe pages."),
        verbose_name=_("language"),
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[validate_currency],
        help_text=_("Three letters (USD, EUR, CAD...): how prices are written in emails."),
        verbose_name=_("currency"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
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
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        AGENT = "agent", _("Agent")

    EDITORS = (Role.OWNER, Role.MANAGER)
    OWNER_FIELDS = ("slug", "timezone")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organization"),
    )
    role = models.CharField(
        max_length=20, choices=Role.choices, default=Role.AGENT, verbose_name=_("role")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="crm_membership_unique_user_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organization} ({self.get_role_display()})"


class StaffPreferences(models.Model):
    """What a staff member chose for themselves, whatever their agencies: the language the
    admin speaks to them (crm/site/languages.py). No row, or an empty language, means the
    browser's language, then their agency's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="preferences",
        verbose_name=_("user"),
    )
    language = models.CharField(
        max_length=8,
        blank=True,
        validators=[validate_language],
        verbose_name=_("language of the admin"),
        help_text=_("The language your pages are in. Empty: your browser's, then your agency's."),
    )

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return str(self.user)


OWNER_NOT_MEMBER = _("This agent is not a member of the lead's organization.")


class Property(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        UNDER_OFFER = "under_offer", _("Under offer")
        SOLD = "sold", _("Sold")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Listing alerts tell nobody about these.
    OFF_MARKET = (Status.SOLD, Status.WITHDRAWN)

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("id")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="properties",
        verbose_name=_("organization"),
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    city = models.CharField(max_length=100, blank=True, verbose_name=_("city"))
    address = models.CharField(max_length=255, blank=True, verbose_name=_("address"))
    price = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("price"))
    bedrooms = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("bedrooms"))
    bathrooms = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("bathrooms"))
    area = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "The living area, in the unit of the agency's country: square feet in the "
            "United States (and the United Kingdom, Canada), square metres elsewhere."
        ),
        verbose_name=_("area"),
    )
    url = models.URLField(blank=True, verbose_name=_("url"))
    photo_url = models.URLField(
        blank=True, verbose_name=_("photo"), help_text=_("The address of a photo of the listing.")
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AVAILABLE, verbose_name=_("status")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("property")
        ordering = ["title"]
        verbose_name_plural = _("properties")
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


def full_name(first_name: str, last_name: str) -> str:
    """The name shown for a lead: its first and last name joined (either may be missing)."""
    return " ".join(part for part in (first_name.strip(), last_name.strip()) if part)


def split_full_name(name: str) -> tuple[str, str]:
    """A whole name given alone, as (first name, last name): its first word, the rest. One
    word is taken as a first name (what people write in a form's "Name")."""
    first, _space, last = " ".join(name.split()).partition(" ")
    return first, last


class Tag(models.Model):
    """A label an agency puts on leads ("buyer", "vip", "open house 12 May"): imported from
    a CRM's tags, filterable in the leads list, usable in a campaign's audience."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="tags", verbose_name=_("organization")
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "organization",
                name="crm_tag_unique_name_per_org",
                violation_error_message=_("This agency already has this tag."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """A column of an agency's files that has no field of ours, kept per lead in
    Lead.custom under `key` (`{{ lead.custom.neighborhood }}` in a template)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="custom_fields",
        verbose_name=_("organization"),
    )
    key = models.CharField(
        max_length=60,
        help_text=_("Its name in templates: lower case, digits and “_”."),
        verbose_name=_("key"),
    )
    label = models.CharField(
        max_length=200, help_text=_("The column's name in the file."), verbose_name=_("label")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key"], name="crm_custom_field_unique_key_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.key


class ConsentBasis(models.TextChoices):
    """Why the agency may email a lead; what each allows depends on the agency's country
    (crm/consent.py, docs/compliance.md)."""

    EXPRESS = "express", _("Express consent (they said yes to emails)")
    ENQUIRY = "enquiry", _("Enquiry (they asked about a property or a service)")
    CLIENT = "client", _("Client (bought, sold or rented through the agency)")
    PURCHASED = "purchased", _("Bought or rented list")
    UNKNOWN = "unknown", _("Unknown")


class InboundKey(models.Model):
    """A key an agency gives its web forms and tools (n8n, Zapier) to send leads one at a
    time to POST /api/leads/ (crm/inbound/). Shown once when made, kept as its SHA-256
    only; several may be live; a revoked key is refused. Each lead it brings names it."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("id")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="inbound_keys",
        verbose_name=_("organization"),
    )
    name = models.CharField(
        max_length=100,
        help_text=_("Where it is used, e.g. “Website contact form” or “Zapier”."),
        verbose_name=_("name"),
    )
    prefix = models.CharField(
        max_length=16,
        editable=False,
        help_text=_("Its first characters."),
        verbose_name=_("prefix"),
    )
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("key hash")
    )
    source = models.CharField(
        max_length=100,
        blank=True,
        help_text=_(
            "The source of the new leads it brings, when they say none (default: its name)."
        ),
        verbose_name=_("source"),
    )
    # A sequence (campaigns.Campaign) every lead it brings is enrolled in: the CRM keeps
    # its id only, the campaigns do the enrolling (campaigns/sequences/arrivals.py).
    enrol_in = models.UUIDField(null=True, blank=True, verbose_name=_("enrol in sequence"))
    thanks_url = models.URLField(
        blank=True,
        verbose_name=_("thank-you page"),
        help_text=_(
            "Where a visitor's browser goes after posting a form (default: a short "
            "thank-you page of ours)."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last used at")
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("revoked at")
    )

    class Meta:
        verbose_name_plural = _("lead form keys")
        ordering = ["-created_at"]
        verbose_name = _("lead form key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        CLIENT = "client", _("Client")
        LOST = "lost", _("Lost")

    # A campaign that does not name statuses never emails these: a client is not
    # prospected, a lost lead (trash, not interested) not at all. Ticking them includes them.
    NOT_EMAILED_BY_DEFAULT = (Status.CLIENT, Status.LOST)
    EMAILED_BY_DEFAULT = (Status.NEW, Status.CONTACTED, Status.QUALIFIED)

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("id")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="leads", verbose_name=_("organization")
    )
    # No control character in one-line text (it breaks exports); an address that a message
    # can carry (an international domain has an IDNA form).
    first_name = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_no_control_characters],
        verbose_name=_("first name"),
    )
    last_name = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_no_control_characters],
        verbose_name=_("last name"),
    )
    # The name shown: the first and last name joined (Lead.save keeps it so).
    name = models.CharField(
        max_length=201,
        blank=True,
        editable=False,
        validators=[validate_no_control_characters],
        verbose_name=_("name"),
    )
    email = models.EmailField(
        max_length=254, validators=[validate_sendable], verbose_name=_("email")
    )
    phone = models.CharField(
        max_length=40,
        blank=True,
        validators=[validate_no_control_characters],
        verbose_name=_("phone"),
    )
    city = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_no_control_characters],
        verbose_name=_("city"),
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NEW, verbose_name=_("status")
    )
    budget_min = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("budget min"))
    budget_max = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("budget max"))
    source = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_no_control_characters],
        verbose_name=_("source"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="leads", verbose_name=_("tags"))
    # The agency's own columns (CustomField), by key: text, or a date as YYYY-MM-DD.
    custom = models.JSONField(default=dict, blank=True, verbose_name=_("custom fields"))
    property = models.ForeignKey(
        Property,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("property"),
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
        verbose_name=_("agent"),
        help_text=_("The member of the agency who looks after this lead."),
    )
    unsubscribed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Set when the lead opts out: no campaign email after."),
        verbose_name=_("unsubscribed at"),
    )
    # The key of the web form or tool that brought the lead in (POST /api/leads/).
    inbound_key = models.ForeignKey(
        InboundKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="leads",
        verbose_name=_("came through"),
    )
    # The latest of the lead's consent records (ConsentRecord), kept here so that an
    # audience's query can tell who may be emailed under the agency's rules.
    consent_basis = models.CharField(
        max_length=20,
        choices=ConsentBasis.choices,
        default=ConsentBasis.UNKNOWN,
        # Also the database's own: a row written in SQL (the benchmarks) gets it too.
        db_default=ConsentBasis.UNKNOWN,
        verbose_name=_("may we email them"),
    )
    consent_date = models.DateField(
        null=True,
        blank=True,
        verbose_name=_("since"),
        help_text=_("The day consent was given, or of the enquiry, or of the purchase or sale."),
    )
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at"]
        constraints = [
            # One lead per address per organization, whatever the case of the address.
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                name="crm_lead_unique_email_per_org",
                violation_error_message=_("A lead with this email address already exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(budget_min__isnull=True)
                | models.Q(budget_max__isnull=True)
                | models.Q(budget_min__lte=models.F("budget_max")),
                name="crm_lead_budget_min_lte_max",
                violation_error_message=_("The minimum budget cannot exceed the maximum budget."),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "city"]),
            models.Index(fields=["organization", "source"]),
            models.Index(fields=["organization", "owner"]),
            # A launch queues its audience walking the agency's leads by key, a chunk after
            # another (campaigns/launching/queuing.py): no chunk reads another's leads.
            models.Index(fields=["organization", "id"], name="crm_lead_organization_key"),
            # The leads a listing fits (crm.listing_matching): its city in any case, the
            # statuses its campaign emails, then a range of the budget's top; its bottom is
            # read from the index. Three equalities before the range: SQLite, with no
            # statistics, then prefers it to the (organization, status) index too.
            # On PostgreSQL it also holds what else the match reads (the id, the address
            # for the suppression list, the opt-out, and the columns under the expressions,
            # which PostgreSQL asks for): an index-only scan, the table never read. Not
            # partial: the planner uses the statistics of an index's expressions only then.
            models.Index(
                models.F("organization"),
                Lower("city"),
                models.F("status"),
                HIGHEST_BUDGET,
                LOWEST_BUDGET,
                name="crm_lead_listing_fit",
                include=["id", "email", "unsubscribed_at", "city", "budget_min", "budget_max"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The name shown is always the join of the first and last name. A lead given only
        # a whole name (older code, the shell) has it split once: its first word, the rest.
        if not (self.first_name or self.last_name) and self.name:
            first, last = split_full_name(self.name)
            self.first_name, self.last_name = first[:100], last[:100]
        self.name = full_name(self.first_name, self.last_name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        linked = self.property  # None, without a query, when there is none
        if linked and self.organization_id and linked.organization_id != self.organization_id:
            raise ValidationError({"property": _("This property belongs to another organization.")})
        if (
            self.owner_id
            and self.organization_id
            and not Membership.objects.filter(
                user=self.owner_id, organization=self.organization_id
            ).exists()
        ):
            raise ValidationError({"owner": OWNER_NOT_MEMBER})


class ConsentRecord(models.Model):
    """One piece of evidence of how the agency may email a lead: the basis, since when,
    where it came from and the words the lead was shown. Never edited: a new record
    replaces the lead's current basis, and the history stays (CASL s.13: the sender must
    prove consent; GDPR art. 7(1): the controller must be able to demonstrate it)."""

    class Source(models.TextChoices):
        FORM = "form", _("Web form")
        IMPORT = "import", _("Import")
        STAFF = "staff", _("Staff")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="consent_records", verbose_name=_("lead")
    )
    basis = models.CharField(max_length=20, choices=ConsentBasis.choices, verbose_name=_("basis"))
    given_on = models.DateField(null=True, blank=True, verbose_name=_("since"))
    source = models.CharField(max_length=10, choices=Source.choices, verbose_name=_("source"))
    source_detail = models.CharField(
        max_length=500,
        blank=True,
        verbose_name=_("where from"),
        help_text=_("The form's address, the import file and line, or who recorded it."),
    )
    wording = models.TextField(
        blank=True,
        help_text=_("The words the lead was shown when they gave it."),
        verbose_name=_("wording"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"))

    class Meta:
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("consent record")
        indexes = [models.Index(fields=["lead", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.get_basis_display()} ({self.get_source_display()})"


class SuppressedAddress(models.Model):
    """An address the organization must never email again (opt-out, hard bounce, by hand).

    Kept apart from the lead so that deleting and re-importing a lead cannot resubscribe it.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Hard bounce")
        MANUAL = "manual", _("Added by staff")
        FORGOTTEN = "forgotten", _("Erased at their request")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="suppressed_addresses",
        verbose_name=_("organization"),
    )
    # Empty for an erased lead: only the keyed hash of their address is kept.
    email = models.EmailField(
        max_length=254, blank=True, help_text=_("Stored in lower case."), verbose_name=_("email")
    )
    email_hash = models.CharField(
        max_length=64,
        blank=True,
        db_default="",
        editable=False,
        help_text=_("An erased lead's address, as a keyed hash (crm/suppression.py)."),
        verbose_name=_("email hash"),
    )
    reason = models.CharField(
        max_length=20, choices=Reason.choices, default=Reason.MANUAL, verbose_name=_("reason")
    )
    detail = models.CharField(max_length=500, blank=True, verbose_name=_("detail"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=~models.Q(email=""),
                name="crm_suppressed_once",
                violation_error_message=_("This address is already on the suppression list."),
            ),
            models.UniqueConstraint(
                fields=["organization", "email_hash"],
                condition=~models.Q(email_hash=""),
                name="crm_suppressed_hash_once",
            ),
            models.CheckConstraint(
                condition=~models.Q(email="", email_hash=""),
                name="crm_suppressed_address_or_hash",
            ),
        ]

    def __str__(self) -> str:
        return self.email or str(_("(erased address)"))

    def clean(self) -> None:
        self.email = self.email.strip().lower()


class ImportMapping(models.Model):
    """An agency's last mapping for files with one header (crm/importing/remembered.py):
    where each column went, and what each status value became."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="import_mappings",
        verbose_name=_("organization"),
    )
    signature = models.CharField(
        max_length=64,
        help_text=_("The header's column names, hashed."),
        verbose_name=_("signature"),
    )
    header = models.JSONField(default=list, verbose_name=_("header"))
    targets = models.JSONField(default=list, verbose_name=_("targets"))
    statuses = models.JSONField(default=dict, verbose_name=_("statuses"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "signature"], name="crm_import_mapping_once_per_header"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {', '.join(self.header)[:80]}"


class LeadImport(models.Model):
    """A file imported from the admin (crm/importing/jobs.py): kept on disk while it is
    previewed with a mapping and then imported; large files are read in the background,
    the page showing the progress, and a run whose process stopped is taken up again."""

    class State(models.TextChoices):
        PREVIEWING = "previewing", _("Reading the file")
        PREVIEWED = "previewed", _("Waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    RUNNING = (State.PREVIEWING, State.IMPORTING)

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("id")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="lead_imports",
        verbose_name=_("organization"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    file_name = models.CharField(max_length=255, verbose_name=_("file name"))
    file_size = models.PositiveBigIntegerField(default=0, verbose_name=_("file size"))
    sheet = models.CharField(max_length=200, blank=True, verbose_name=_("sheet"))
    sheets = models.JSONField(default=list, verbose_name=_("sheets"))
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.PREVIEWING, verbose_name=_("state")
    )
    mapping = models.JSONField(
        default=dict, verbose_name=_("mapping")
    )  # crm.importing.mapping.Mapping.as_json
    columns = models.JSONField(
        default=list, verbose_name=_("columns")
    )  # each column's first values and its values
    report = models.JSONField(
        default=dict, verbose_name=_("report")
    )  # crm.importing.lead_import.ImportReport
    error = models.TextField(blank=True, verbose_name=_("error"))
    progress = models.FloatField(default=0, verbose_name=_("progress"))  # of the file read, 0 to 1
    # The last line an import wrote (a run taken up again starts after it).
    written_line = models.PositiveIntegerField(default=0, verbose_name=_("written line"))
    # Who runs it now, and when it last said so: a run silent for long has stopped.
    claim = models.UUIDField(null=True, blank=True, verbose_name=_("claim"))
    heartbeat_at = models.DateTimeField(null=True, blank=True, verbose_name=_("heartbeat at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"
