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

from crm.email_addresses import validate_sendable
from crm.plain_text import validate_no_control_characters


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
    bathrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    area = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The living area, in the unit of the agency's country: square feet in the "
        "United States (and the United Kingdom, Canada), square metres elsewhere.",
    )
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


def full_name(first_name: str, last_name: str) -> str:
    """The name shown for a lead: its first and last name joined (either may be missing)."""
    return " ".join(part for part in (first_name.strip(), last_name.strip()) if part)


def split_full_name(name: str) -> tuple[str, str]:
    """A whole name given alone, as (first name, last name): its first word, the rest. One
    word is taken as a first name (what people write in a form's "Name")."""
    first, _, last = " ".join(name.split()).partition(" ")
    return first, last


class Tag(models.Model):
    """A label an agency puts on leads ("buyer", "vip", "open house 12 May"): imported from
    a CRM's tags, filterable in the leads list, usable in a campaign's audience."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "organization",
                name="crm_tag_unique_name_per_org",
                violation_error_message="This agency already has this tag.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """A column of an agency's files that has no field of ours, kept per lead in
    Lead.custom under `key` (`{{ lead.custom.neighborhood }}` in a template)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="custom_fields"
    )
    key = models.CharField(
        max_length=60, help_text="Its name in templates: lower case, digits and “_”."
    )
    label = models.CharField(max_length=200, help_text="The column's name in the file.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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

    EXPRESS = "express", "Express consent (they said yes to emails)"
    ENQUIRY = "enquiry", "Enquiry (they asked about a property or a service)"
    CLIENT = "client", "Client (bought, sold or rented through the agency)"
    PURCHASED = "purchased", "Bought or rented list"
    UNKNOWN = "unknown", "Unknown"


class InboundKey(models.Model):
    """A key an agency gives its web forms and tools (n8n, Zapier) to send leads one at a
    time to POST /api/leads/ (crm/inbound/). Shown once when made, kept as its SHA-256
    only; several may be live; a revoked key is refused. Each lead it brings names it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="inbound_keys"
    )
    name = models.CharField(
        max_length=100, help_text="Where it is used, e.g. “Website contact form” or “Zapier”."
    )
    prefix = models.CharField(max_length=16, editable=False, help_text="Its first characters.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    source = models.CharField(
        max_length=100,
        blank=True,
        help_text="The source of the new leads it brings, when they say none (default: its name).",
    )
    # A sequence (campaigns.Campaign) every lead it brings is enrolled in: the CRM keeps
    # its id only, the campaigns do the enrolling (campaigns/sequences/arrivals.py).
    enrol_in = models.UUIDField(null=True, blank=True, verbose_name="enrol in sequence")
    thanks_url = models.URLField(
        blank=True,
        verbose_name="thank-you page",
        help_text="Where a visitor's browser goes after posting a form (default: a short "
        "thank-you page of ours).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "lead form key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        CLIENT = "client", "Client"
        LOST = "lost", "Lost"

    # A campaign that does not name statuses never emails these: a client is not
    # prospected, a lost lead (trash, not interested) not at all. Ticking them includes them.
    NOT_EMAILED_BY_DEFAULT = (Status.CLIENT, Status.LOST)
    EMAILED_BY_DEFAULT = (Status.NEW, Status.CONTACTED, Status.QUALIFIED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="leads")
    # No control character in one-line text (it breaks exports); an address that a message
    # can carry (an international domain has an IDNA form).
    first_name = models.CharField(
        max_length=100, blank=True, validators=[validate_no_control_characters]
    )
    last_name = models.CharField(
        max_length=100, blank=True, validators=[validate_no_control_characters]
    )
    # The name shown: the first and last name joined (Lead.save keeps it so).
    name = models.CharField(
        max_length=201, blank=True, editable=False, validators=[validate_no_control_characters]
    )
    email = models.EmailField(max_length=254, validators=[validate_sendable])
    phone = models.CharField(max_length=40, blank=True, validators=[validate_no_control_characters])
    city = models.CharField(max_length=100, blank=True, validators=[validate_no_control_characters])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    budget_min = models.PositiveBigIntegerField(null=True, blank=True)
    budget_max = models.PositiveBigIntegerField(null=True, blank=True)
    source = models.CharField(
        max_length=100, blank=True, validators=[validate_no_control_characters]
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="leads")
    # The agency's own columns (CustomField), by key: text, or a date as YYYY-MM-DD.
    custom = models.JSONField(default=dict, blank=True, verbose_name="custom fields")
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
    # The key of the web form or tool that brought the lead in (POST /api/leads/).
    inbound_key = models.ForeignKey(
        InboundKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="leads",
        verbose_name="came through",
    )
    # The latest of the lead's consent records (ConsentRecord), kept here so that an
    # audience's query can tell who may be emailed under the agency's rules.
    consent_basis = models.CharField(
        max_length=20,
        choices=ConsentBasis.choices,
        default=ConsentBasis.UNKNOWN,
        # Also the database's own: a row written in SQL (the benchmarks) gets it too.
        db_default=ConsentBasis.UNKNOWN,
        verbose_name="may we email them",
    )
    consent_date = models.DateField(
        null=True,
        blank=True,
        verbose_name="since",
        help_text="The day consent was given, or of the enquiry, or of the purchase or sale.",
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
            raise ValidationError({"property": "This property belongs to another organization."})
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
        FORM = "form", "Web form"
        IMPORT = "import", "Import"
        STAFF = "staff", "Staff"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="consent_records")
    basis = models.CharField(max_length=20, choices=ConsentBasis.choices)
    given_on = models.DateField(null=True, blank=True, verbose_name="since")
    source = models.CharField(max_length=10, choices=Source.choices)
    source_detail = models.CharField(
        max_length=500,
        blank=True,
        verbose_name="where from",
        help_text="The form's address, the import file and line, or who recorded it.",
    )
    wording = models.TextField(
        blank=True, help_text="The words the lead was shown when they gave it."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = "consent record"
        indexes = [models.Index(fields=["lead", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.get_basis_display()} ({self.get_source_display()})"


class SuppressedAddress(models.Model):
    """An address the organization must never email again (opt-out, hard bounce, by hand).

    Kept apart from the lead so that deleting and re-importing a lead cannot resubscribe it.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Hard bounce"
        MANUAL = "manual", "Added by staff"
        FORGOTTEN = "forgotten", "Erased at their request"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="suppressed_addresses"
    )
    # Empty for an erased lead: only the keyed hash of their address is kept.
    email = models.EmailField(max_length=254, blank=True, help_text="Stored in lower case.")
    email_hash = models.CharField(
        max_length=64,
        blank=True,
        db_default="",
        editable=False,
        help_text="An erased lead's address, as a keyed hash (crm/suppression.py).",
    )
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
                condition=~models.Q(email=""),
                name="crm_suppressed_once",
                violation_error_message="This address is already on the suppression list.",
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
        return self.email or "(erased address)"

    def clean(self) -> None:
        self.email = self.email.strip().lower()


class ImportMapping(models.Model):
    """An agency's last mapping for files with one header (crm/importing/remembered.py):
    where each column went, and what each status value became."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="import_mappings"
    )
    signature = models.CharField(max_length=64, help_text="The header's column names, hashed.")
    header = models.JSONField(default=list)
    targets = models.JSONField(default=list)
    statuses = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
        PREVIEWING = "previewing", "Reading the file"
        PREVIEWED = "previewed", "Waiting for confirmation"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    RUNNING = (State.PREVIEWING, State.IMPORTING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="lead_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    sheet = models.CharField(max_length=200, blank=True)
    sheets = models.JSONField(default=list)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PREVIEWING)
    mapping = models.JSONField(default=dict)  # crm.importing.mapping.Mapping.as_json
    columns = models.JSONField(default=list)  # each column's first values and its values
    report = models.JSONField(default=dict)  # crm.importing.lead_import.ImportReport
    error = models.TextField(blank=True)
    progress = models.FloatField(default=0)  # of the file read, 0 to 1
    # The last line an import wrote (a run taken up again starts after it).
    written_line = models.PositiveIntegerField(default=0)
    # Who runs it now, and when it last said so: a run silent for long has stopped.
    claim = models.UUIDField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"
