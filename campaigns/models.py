"""Sending accounts, campaigns and their steps, and the message log (the outbox)."""

import datetime
import hashlib
import logging
import uuid
from typing import Any, ClassVar, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from encrypted_model_fields.fields import EncryptedTextField

from campaigns.content import readable, rendering
from campaigns.content.email_locale import EmailLocale, writing
from crm.email_addresses import validate_sendable
from crm.models import Lead, Organization, Property, validate_language
from crm.site.bulk import update_many

log = logging.getLogger(__name__)
LABEL_SUBJECT_LENGTH = 60


# Personal Gmail: 500 recipients a day (Workspace: 2,000; support.google.com/a/answer/166852).
CONSUMER_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
CONSUMER_GMAIL_DAILY_LIMIT = 500
CONSUMER_LIMIT = (
    "A personal Gmail account (gmail.com) may send {limit} messages a day at most "
    "(Google Workspace accounts: 2,000)."
)


class EmailAccount(models.Model):
    """A mailbox connected through OAuth; its tokens are encrypted at rest."""

    class Provider(models.TextChoices):
        GMAIL = "gmail", "Gmail"
        SANDBOX = "sandbox", "Sandbox (writes .eml files, sends nothing)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="email_accounts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_accounts"
    )
    email_address = models.EmailField()
    display_name = models.CharField(max_length=255)
    reply_to = models.EmailField(blank=True, validators=[validate_sendable])
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.GMAIL)
    daily_limit = models.PositiveIntegerField(
        default=500, help_text="Messages per rolling 24 hours (Gmail: 500, Workspace: 2,000)."
    )
    # Warm-up (campaigns/accounts/warmup.py): a new mailbox that sends its whole cap at once looks
    # like a spammer's to Gmail; its cap rises day by day instead.
    warmup_days = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(90)],
        verbose_name="warm-up (days)",
        help_text="Optional, for a newly connected account: its daily cap starts at 20 and "
        "rises evenly to the daily limit over this many days. 0: no warm-up.",
    )
    warmup_from = models.DateField(
        null=True,
        blank=True,
        verbose_name="warm-up starts",
        help_text="The warm-up's first day (20 messages), in the agency's time zone. Empty: "
        "the day the account was connected.",
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    is_primary = models.BooleanField(
        default=False, verbose_name=_("primary"), help_text="The organization's default sender."
    )
    needs_reconnect = models.BooleanField(default=False)
    paused_until = models.DateTimeField(
        null=True, blank=True, help_text="Set when Google reports a sending limit reached."
    )
    # Gmail's per-minute quota, shared by every sender process and n8n execution: the
    # moment the next send may start, on the database's clock (outbox.take_slots).
    next_send_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    granted_scopes = models.TextField(
        blank=True, editable=False, help_text="What Google allowed at the last connection."
    )
    # Reply and bounce detection (campaigns/events/replies.py): opt-in, headers only.
    detect_replies = models.BooleanField(
        default=False,
        verbose_name="detect replies and bounces",
        help_text="Read the headers of the conversations of sent messages (never their "
        "content) to mark replies and bounces. Google must allow it: reconnect the account "
        "after ticking this.",
    )
    replies_checked_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name="replies last checked"
    )
    # Gmail's history id where the next check starts; empty: the next check reads the
    # latest threads in full.
    replies_history_id = models.CharField(max_length=40, blank=True, editable=False)
    replies_error = models.TextField(
        blank=True, editable=False, verbose_name="reply detection problem"
    )
    # The domain check (campaigns/accounts/domain_check.py) reads google._domainkey and these.
    dkim_selectors = models.CharField(
        max_length=255,
        blank=True,
        default="",
        db_default="",
        verbose_name="other DKIM selectors",
        help_text="Besides Google's own (google), the DKIM selectors your domain publishes, "
        "separated by commas (e.g. s1, mailchimp).",
    )
    # The bounce-rate pause (campaigns/outbox/bounce_rate.py): when it last paused this
    # account's campaigns; only messages sent after it are judged again.
    bounce_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["email_address"]
        verbose_name = "email account"
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(is_primary=True),
                name="campaigns_one_primary_account_per_org",
                violation_error_message="This organization already has a primary account.",
            ),
            models.UniqueConstraint(
                fields=["organization", "email_address"],
                name="campaigns_account_unique_address_per_org",
                violation_error_message="This address is already connected.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email_address}>"

    @property
    def can_send(self) -> bool:
        return self.is_active and not self.needs_reconnect

    @property
    def domain(self) -> str:
        return self.email_address.rpartition("@")[2].lower()

    @property
    def is_consumer_gmail(self) -> bool:
        """A personal @gmail.com address, not a Google Workspace one: Google's lower daily
        limit, and a domain whose authentication Google owns."""
        return self.domain in CONSUMER_GMAIL_DOMAINS

    @property
    def may_read_headers(self) -> bool:
        """Google granted the read-only metadata permission that reply detection needs."""
        return settings.GMAIL_METADATA_SCOPE in self.granted_scopes.split()

    def clean(self) -> None:
        if self.is_consumer_gmail and self.daily_limit > CONSUMER_GMAIL_DAILY_LIMIT:
            message = CONSUMER_LIMIT.format(limit=CONSUMER_GMAIL_DAILY_LIMIT)
            raise ValidationError({"daily_limit": message})

    def dkim_selector_list(self) -> list[str]:
        return [part.strip().lower() for part in self.dkim_selectors.split(",") if part.strip()]

    def rest(
        self, pause: datetime.timedelta, reason: str, now: datetime.datetime | None = None
    ) -> None:
        """No claim for this account until `pause` has passed from `now` (the outbox gives
        the database's clock): Gmail said a limit was reached, or sending failed for now. A
        longer rest already set is kept."""
        until = (now or timezone.now()) + pause
        EmailAccount.objects.filter(pk=self.pk).filter(
            models.Q(paused_until__isnull=True) | models.Q(paused_until__lt=until)
        ).update(paused_until=until, last_error=reason, updated_at=timezone.now())
        self.paused_until, self.last_error = until, reason

    def require_reconnect(self, reason: str) -> int:
        """Google refused the saved authorization: nothing is sent from the account until
        staff connect it again, and its active campaigns pause with the reason. Returns how
        many campaigns paused."""
        EmailAccount.objects.filter(pk=self.pk).update(
            needs_reconnect=True, last_error=reason, updated_at=timezone.now()
        )
        self.needs_reconnect, self.last_error = True, reason
        paused = Campaign.objects.filter(email_account=self).pause(reason)
        log.warning("account %s needs reconnecting (%s paused): %s", self.pk, paused, reason)
        return paused

    def make_primary(self) -> None:
        """The organization's default sender; the database allows one per organization."""
        with transaction.atomic():
            EmailAccount.objects.filter(organization=self.organization_id, is_primary=True).exclude(
                pk=self.pk
            ).update(is_primary=False)
            EmailAccount.objects.filter(pk=self.pk).update(is_primary=True)
        self.is_primary = True


def window_opens() -> datetime.time:
    """9:00. A callable, not a fixed time: Django warns (fields.W161) about a fixed time
    default whenever its checks run within ten seconds of that time of day."""
    return datetime.time(9, 0)


def window_closes() -> datetime.time:
    return datetime.time(17, 0)


class CampaignStatusError(Exception):
    """A lifecycle step asked of a campaign whose status does not allow it; nothing changed."""


CAMPAIGN_CANNOT = "This campaign cannot be {action}: it is {status}."


class AbMeasure(models.TextChoices):
    """What an A/B subject test compares (campaigns/ab_tests/variants.py)."""

    OPENS = "opens", "Unique opens (prefetches and scanners left out)"
    CLICKS = "clicks", "Clicks (leads who clicked)"
    REPLIES = "replies", "Replies"


class Transition(NamedTuple):
    """A move of a campaign's lifecycle: made from any of `sources`, it leads to `target`."""

    sources: tuple[str, ...]
    target: str


class CampaignQuerySet(models.QuerySet["Campaign"]):
    """The lifecycle, on many campaigns at once: each move is one conditional UPDATE from the
    statuses Campaign.LIFECYCLE names for it, and returns how many campaigns moved. Nothing
    else writes a status."""

    def _transition(self, action: str, **fields: Any) -> int:
        sources, target = Campaign.LIFECYCLE[action]
        return self.filter(status__in=sources).update(status=target, **fields)

    def launch(self, user: Any = None) -> int:
        """Launched (from a draft), recording when and by whom."""
        now = timezone.now()
        return self._transition("launch", launched_at=now, launched_by=user, updated_at=now)

    def pause(self, reason: str = "") -> int:
        """Paused: nothing more is claimed until resumed."""
        now = timezone.now()
        return self._transition("pause", paused_at=now, pause_reason=reason[:300], updated_at=now)

    def resume(self) -> int:
        """Resumed, the count of failures in a row starting over."""
        return self._transition(
            "resume", paused_at=None, pause_reason="", failure_streak=0, updated_at=timezone.now()
        )

    def complete(self) -> int:
        """Completed: everything was sent."""
        return self._transition("complete", updated_at=timezone.now())

    def cancel(self) -> int:
        """Cancelled, before the end: stopped for good (completed)."""
        return self._transition("cancel", updated_at=timezone.now())

    def archive(self) -> int:
        """Archived: a finished campaign hidden from the lists, its results kept."""
        now = timezone.now()
        return self.filter(status=Campaign.Status.COMPLETED, archived_at__isnull=True).update(
            archived_at=now, updated_at=now
        )

    def unarchive(self) -> int:
        """Back in the lists."""
        return self.filter(archived_at__isnull=False).update(
            archived_at=None, updated_at=timezone.now()
        )


class Campaign(models.Model):
    class Type(models.TextChoices):
        BLAST = "blast", "Blast"
        SEQUENCE = "sequence", "Sequence"
        LISTING_ALERT = "listing_alert", "Listing alert"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"

    # Launched and not finished: it may still send.
    LIVE = (Status.ACTIVE, Status.PAUSED)
    # The lifecycle, in one table: each action, the statuses it is allowed from, and where
    # it leads. The queryset's conditional UPDATEs, the admin's actions and the campaign page's
    # buttons are all read from it.
    LIFECYCLE: ClassVar[dict[str, Transition]] = {
        "launch": Transition((Status.DRAFT,), Status.ACTIVE),
        "pause": Transition((Status.ACTIVE,), Status.PAUSED),
        "resume": Transition((Status.PAUSED,), Status.ACTIVE),
        "complete": Transition((Status.ACTIVE,), Status.COMPLETED),
        "cancel": Transition(LIVE, Status.COMPLETED),
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.BLAST)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Everything we write into its emails (footer, listing card, test marker) and the pages
    # its leads reach follow this language; blank follows the agency's.
    language = models.CharField(
        max_length=8,
        blank=True,
        default="",
        db_default="",  # rows written in SQL (the benchmarks) follow their agency's
        validators=[validate_language],
        verbose_name="language of its emails",
        help_text="The footer, the listing cards and the unsubscribe page are written in it, "
        "and the preflight checks the steps are too. Empty: the agency's language.",
    )

    class Audience(models.TextChoices):
        FILTER = "filter", "Leads matching a filter"
        CHOSEN = "chosen", "Chosen leads"

    email_account = models.ForeignKey(
        EmailAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name="sending account",
    )
    # Each message through the Gmail of the lead's agent (Lead.owner), the sending account
    # above for leads without one (campaigns/outbox/senders.py).
    send_from_agents = models.BooleanField(
        default=False,
        verbose_name="send from each lead's agent",
        help_text="Each lead gets the email from their agent's connected Gmail; leads "
        "without an agent, or whose agent has no connected Gmail, from the sending account.",
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.FILTER)
    # Sequences: keep enrolling new matching leads, send window, threading.
    enroll_new_leads = models.BooleanField(
        default=False, help_text="Sequences: also enrol leads that match later (new leads)."
    )
    window_start = models.TimeField(default=window_opens, verbose_name="send from")
    window_end = models.TimeField(default=window_closes, verbose_name="send until")
    send_on_weekends = models.BooleanField(default=False)
    thread_follow_ups = models.BooleanField(
        default=True,
        verbose_name=_("thread follow-ups"),
        help_text="Send follow-up steps as replies in the first message's thread.",
    )
    auto_reply_hold_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        verbose_name="hold after an auto-reply (days)",
        help_text="Sequences: an out-of-office answer holds the lead's next step this many "
        "days, or until the return date its subject gives (60 days at most).",
    )
    track_opens = models.BooleanField(
        default=False, help_text="Add an invisible image that tells when the message is opened."
    )
    track_clicks = models.BooleanField(
        default=False, help_text="Send links through this server to count clicks."
    )
    # A blast whose step has two or more subjects tests them (campaigns/ab_tests/variants.py).
    ab_share = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        verbose_name="test share (%)",
        help_text="The part of the audience that tests the subjects, split evenly between "
        "them; the rest gets the winner.",
    )
    ab_wait_hours = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        verbose_name="wait before choosing (hours)",
        help_text="Counted from the last test message sent.",
    )
    ab_measure = models.CharField(
        max_length=10,
        choices=AbMeasure.choices,
        default=AbMeasure.OPENS,
        verbose_name="the best subject has the most",
    )
    # Listing alerts (campaigns/listing_alerts/triggers.py): what makes one, and who it waits for.
    alert_new_listings = models.BooleanField(
        default=True,
        verbose_name="alert new listings",
        help_text="When a property is added, tell the leads it fits.",
    )
    alert_price_drop = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        verbose_name="alert price drops of at least (%)",
        help_text="Measured from the price of the last alert about the listing. Empty: no "
        "alert when a price drops.",
    )
    alert_statuses = models.JSONField(
        default=list,
        blank=True,
        verbose_name="only leads with status",
        help_text="None ticked: any status.",
    )
    alert_send_automatically = models.BooleanField(
        default=False,
        verbose_name="send without review",
        help_text="Off: each alert waits on the home page until a staff member reviews and "
        "sends it.",
    )
    launched_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A launched campaign is never deleted (its messages are what each lead was sent, and
    # who opted out): once finished it can be archived, hidden from the lists, kept.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who launched it: a second launch (another tab, Back, a double submit) is told by whom.
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    pause_reason = models.CharField(max_length=300, blank=True, editable=False)
    # Messages that failed in a row, whichever process or n8n execution sent them: the
    # error-storm pause (outbox.finish) reads it; a sent message sets it back to 0.
    failure_streak = models.PositiveIntegerField(default=0, editable=False)
    # The spec's audience filter: {"status": [...], "city": "...", "budget_min": 500000,
    # "source": "...", "created_from": "YYYY-MM-DD", "created_to": "YYYY-MM-DD"}.
    audience_filter = models.JSONField(default=dict, blank=True)
    chosen_leads = models.ManyToManyField(Lead, blank=True, related_name="chosen_for")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.name

    def email_language(self) -> str:
        """The language its emails and its leads' pages are written in: its own, or else
        its agency's."""
        return self.language or self.organization.language

    def allows(self, action: str) -> bool:
        """Whether the campaign's status allows this action of LIFECYCLE (launch, pause...)."""
        return self.status in Campaign.LIFECYCLE[action].sources

    def launch(self, user: Any = None) -> None:
        """Draft -> active; CampaignStatusError from any other state."""
        self._moved("launched", Campaign.objects.filter(pk=self.pk).launch(user))

    def pause(self, reason: str = "") -> None:
        """Active -> paused; CampaignStatusError from any other state."""
        self._moved("paused", Campaign.objects.filter(pk=self.pk).pause(reason))

    def resume(self) -> None:
        """Paused -> active. A sequence's due times move by the length of the pause, so its
        leads keep their spacing (no burst of everything that fell due meanwhile)."""
        mine = Campaign.objects.filter(pk=self.pk)
        paused_at = mine.values_list("paused_at", flat=True).first()
        with transaction.atomic():
            self._moved("resumed", mine.filter(paused_at=paused_at).resume())
            if self.type == Campaign.Type.SEQUENCE and paused_at:
                Enrollment.objects.filter(campaign=self).postpone(timezone.now() - paused_at)

    def complete(self) -> None:
        """Active -> completed; CampaignStatusError from any other state."""
        self._moved("completed", Campaign.objects.filter(pk=self.pk).complete())

    def cancel(self) -> int:
        """Active or paused -> completed, for good: what was sent stays sent, what waits is
        cancelled. Returns how many messages will not be sent."""
        with transaction.atomic():
            self._moved("cancelled", Campaign.objects.filter(pk=self.pk).cancel())
            now = timezone.now()
            cancelled = MessageLog.objects.filter(
                campaign=self, status=MessageLog.Status.QUEUED, is_test=False
            ).update(status=MessageLog.Status.CANCELLED, updated_at=now)
            Dispatch.objects.filter(
                campaign=self, status__in=[Dispatch.Status.RUNNING, Dispatch.Status.SCHEDULED]
            ).update(status=Dispatch.Status.CANCELLED, finished_at=now)
        return cancelled

    def archive(self) -> None:
        """Completed -> archived; CampaignStatusError from any other state."""
        self._moved("archived", Campaign.objects.filter(pk=self.pk).archive())

    def unarchive(self) -> None:
        """Archived -> back in the lists."""
        self._moved("unarchived", Campaign.objects.filter(pk=self.pk).unarchive())

    def _moved(self, action: str, moved: int) -> None:
        self.refresh_from_db(fields=LIFECYCLE_FIELDS)
        if not moved:
            status = self.get_status_display().lower()
            raise CampaignStatusError(CAMPAIGN_CANNOT.format(action=action, status=status))

    def place_in_window(self, moment: datetime.datetime) -> datetime.datetime:
        """The first moment at or after `moment` inside the send window, in the
        organization's time zone (weekends skipped unless allowed)."""
        zone = self.organization.zone
        local = moment.astimezone(zone)
        day = local.date()
        for _day in range(14):
            weekend = day.weekday() >= 5 and not self.send_on_weekends
            start = datetime.datetime.combine(day, self.window_start, tzinfo=zone)
            end = datetime.datetime.combine(day, self.window_end, tzinfo=zone)
            if not weekend:
                if local < start:
                    return start
                if local < end:
                    return local
            day += datetime.timedelta(days=1)
            local = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
        raise ValueError("the send window never opens")  # window_end <= window_start

    @property
    def is_launched(self) -> bool:
        return self.status != Campaign.Status.DRAFT

    @property
    def steps_locked(self) -> bool:
        """A launched blast's step is what was sent; a sequence's steps stay editable while
        it runs (a change reaches the messages queued from then on)."""
        return self.is_launched and (
            self.type == Campaign.Type.BLAST or self.status == Campaign.Status.COMPLETED
        )

    def clean(self) -> None:
        account = self.email_account  # None, without a query, when there is none
        if account and self.organization_id and account.organization_id != self.organization_id:
            raise ValidationError(
                {"email_account": "This account belongs to another organization."}
            )
        launched = (
            Campaign.objects.filter(pk=self.pk)
            .exclude(status=Campaign.Status.DRAFT)
            .values(*LOCKED_AFTER_LAUNCH)
            .first()
        )
        if launched and any(
            launched[name] != getattr(self, _attname(name)) for name in LOCKED_AFTER_LAUNCH
        ):
            raise ValidationError(LOCKED_CAMPAIGN, code="launched")

    def duplicate(self) -> "Campaign":
        """A draft copy, steps and chosen leads included, to send again (a launched
        campaign's audience and content cannot change)."""
        with transaction.atomic():
            copy = Campaign.objects.get(pk=self.pk)
            copy.pk, copy._state.adding = uuid.uuid4(), True
            copy.name = DUPLICATE_NAME.format(name=self.name)[:200]
            copy.status, copy.launched_at, copy.launched_by = Campaign.Status.DRAFT, None, None
            copy.paused_at, copy.pause_reason, copy.archived_at = None, "", None
            copy.save()
            copy.chosen_leads.set(self.chosen_leads.all())
            CampaignStep.objects.bulk_create(
                CampaignStep(
                    campaign=copy,
                    order=step.order,
                    offset_days=step.offset_days,
                    subject=step.subject,
                    **{name: getattr(step, name) for name in VARIANT_FIELDS},
                    body_template=step.body_template,
                    text_template=step.text_template,
                    is_active=step.is_active,
                    new_thread=step.new_thread,
                )
                for step in self.steps.all()
            )
        return copy

    def as_written(self, source: str) -> str:
        """A template of this campaign in its own words (content/readable.py): its agency's
        name as it is and, in a listing alert's email, its listing's details."""
        organization = {"name": self.organization.name}
        listing = None
        if "property" in source and self.type == Campaign.Type.BLAST:
            alert = getattr(self, "listing_alert", None)
            if alert is not None:
                listing = rendering.property_values(alert.property, alert.old_price)
        # Money and dates as its leads read them: the campaign's locale.
        with writing(EmailLocale.of_campaign(self)):
            return readable.as_written(source, organization=organization, listing=listing)


LIFECYCLE_FIELDS = [
    "status",
    "archived_at",
    "launched_at",
    "launched_by",
    "paused_at",
    "pause_reason",
    "failure_streak",
]
# Who gets what: fixed once a campaign is launched (read-only on its page, refused here).
LOCKED_AFTER_LAUNCH = ["type", "audience", "audience_filter", "email_account", "send_from_agents"]
LOCKED_CAMPAIGN = (
    "This campaign has been launched: its type, audience and sending account can no longer "
    "change. Duplicate it to send again."
)
LOCKED_STEP = (
    "This campaign has been launched: its steps are what was sent and can no longer change. "
    "Duplicate the campaign to send again."
)
DUPLICATE_NAME = "{name} (copy)"


def _attname(name: str) -> str:
    return "email_account_id" if name == "email_account" else name


# A blast's step may have up to four subjects, A (its subject) to D, for an A/B test.
VARIANT_FIELDS = ["subject_b", "subject_c", "subject_d"]
VARIANTS_FOR_BLASTS = (
    "Subject variants are for blasts (an A/B test of the first step): a sequence sends each "
    "step with its one subject. Empty this field."
)


def variant_subject_field(letter: str, help_text: str = "") -> models.CharField:
    return models.CharField(
        max_length=255, blank=True, verbose_name=f"subject {letter}", help_text=help_text
    )


class SubjectVariants:
    """The subjects of a step or of its snapshot, by letter."""

    subject: str

    def subject_of(self, variant: str) -> str:
        """Variant A (or none) is the subject; B, C and D their own field."""
        if variant in ("", "A"):
            return self.subject
        return str(getattr(self, f"subject_{variant.lower()}"))

    def variants(self) -> list[str]:
        """The letters of the subjects written: A, then each of B to D that is filled in."""
        return ["A"] + [name[-1].upper() for name in VARIANT_FIELDS if getattr(self, name).strip()]


class CampaignStep(SubjectVariants, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(
        max_length=120,
        blank=True,
        help_text="For you, never sent: how this step is called in lists and results.",
    )
    order = models.PositiveSmallIntegerField(default=1, verbose_name="step number")
    offset_days = models.PositiveSmallIntegerField(
        default=0,
        verbose_name="send on day",
        help_text="Days after the lead enters the campaign (0: at once).",
    )
    subject = models.CharField(max_length=255)
    subject_b = variant_subject_field(
        "B",
        "Blasts, optional: another subject to test. With two or more, part of the audience "
        "gets each and the best one goes to the rest (the campaign's A/B test settings).",
    )
    subject_c = variant_subject_field("C")
    subject_d = variant_subject_field("D")
    body_template = models.TextField(
        verbose_name="message",
        help_text="The email itself, in HTML. “Insert where you type” beside it adds the "
        "lead's name and other details.",
    )
    text_template = models.TextField(
        blank=True,
        verbose_name="plain-text version",
        help_text="Left empty, it is made from the message.",
    )
    is_active = models.BooleanField(
        default=True,
        verbose_name=_("active"),
        help_text="Inactive steps are skipped (a step that has sent cannot be "
        "deleted: deactivate it instead).",
    )
    # A sequence that threads its follow-ups sends this step as a reply in the first
    # email's thread, with that email's subject, unless it is ticked (content/follow_ups.py).
    new_thread = models.BooleanField(
        default=False,
        verbose_name=_("send as a new email"),
        help_text=_(
            "Sequences that send follow-ups as replies: this step starts a new email with "
            "its own subject instead of replying in the first email's thread."
        ),
    )

    class Meta:
        ordering = ["campaign", "order"]
        verbose_name = "step"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "order"],
                name="campaigns_step_unique_order",
                violation_error_message="Another step of this campaign has this position.",
            )
        ]

    def __str__(self) -> str:
        return self.label()

    def label(self) -> str:
        """How staff see the step everywhere: its name, or its place and its subject in its
        own words, merge fields as chips ("Step 1 · day 0 · Welcome to Sunset Realty,
        ‹first name›"): never template code, never a sample lead's values."""
        if self.name:
            return self.name
        place = f"Step {self.order}"
        try:
            campaign = self.campaign
        except Campaign.DoesNotExist:  # a step being written for a campaign not saved yet
            return place
        if campaign.type == Campaign.Type.SEQUENCE:
            place += f" · day {self.offset_days}"
        subject = Truncator(campaign.as_written(self.subject)).chars(LABEL_SUBJECT_LENGTH)
        return f"{place} · {subject}" if subject else place

    def clean(self) -> None:
        """Compile and try every template now, so mistakes show on the form, with the line."""
        if self.campaign_id and self.campaign.steps_locked and self._changed():
            raise ValidationError(LOCKED_STEP)
        errors = {}
        if self.campaign_id and self.campaign.type == Campaign.Type.SEQUENCE:
            errors.update(
                {name: VARIANTS_FOR_BLASTS for name in VARIANT_FIELDS if getattr(self, name)}
            )
        checked = [("subject", False), *((name, False) for name in VARIANT_FIELDS)]
        for field, html in (*checked, ("body_template", True), ("text_template", False)):
            if field in errors:
                continue
            source = getattr(self, field)
            if not source:
                continue
            try:
                rendering.render(source, rendering.SAMPLE_CONTEXT, html=html)
            except rendering.TemplateError as error:
                errors[field] = str(error)
        if errors:
            raise ValidationError(errors)

    def _changed(self) -> bool:
        saved = CampaignStep.objects.filter(pk=self.pk).values(*STEP_CONTENT).first()
        return saved is None or any(saved[name] != getattr(self, name) for name in STEP_CONTENT)


STEP_CONTENT = [
    "order",
    "new_thread",
    "offset_days",
    "subject",
    *VARIANT_FIELDS,
    "body_template",
    "text_template",
    "is_active",
]


class StepSnapshot(SubjectVariants, models.Model):
    """A step's templates as they were when messages were queued from it. Messages are
    rendered when claimed, from their snapshot: an edit to a running sequence's step reaches
    the messages queued after it, never the ones already waiting."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    step = models.ForeignKey(CampaignStep, on_delete=models.CASCADE, related_name="snapshots")
    subject = models.CharField(max_length=255)
    subject_b = variant_subject_field("B")
    subject_c = variant_subject_field("C")
    subject_d = variant_subject_field("D")
    body_template = models.TextField()
    text_template = models.TextField(blank=True)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "digest"], name="campaigns_one_snapshot")
        ]

    def __str__(self) -> str:
        return f"{self.step} as of {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def of(cls, step: CampaignStep) -> "StepSnapshot":
        """The snapshot of the step as it is now (the same one while it does not change)."""
        names = ["subject", "body_template", "text_template"]
        content = [getattr(step, name) for name in names]
        # Subject variants join the digest, by name, only when written: a step without any
        # keeps the snapshot it had before variants existed.
        variants = {name: getattr(step, name) for name in VARIANT_FIELDS if getattr(step, name)}
        content += [f"{name}={value}" for name, value in variants.items()]
        digest = hashlib.sha256("\0".join(content).encode()).hexdigest()
        snapshot, _created = cls.objects.get_or_create(
            step=step,
            digest=digest,
            defaults={name: getattr(step, name) for name in names} | variants,
        )
        snapshot.step = step
        return snapshot


class Dispatch(models.Model):
    """One launch of one step to its audience; the unique step makes a second launch a no-op."""

    class Driver(models.TextChoices):
        DIRECT = "direct", "Direct (this server)"
        N8N = "n8n", "n8n"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="dispatches"
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="dispatches")
    # A blast's dispatch names its step (one dispatch per step); a sequence tick's does not.
    campaign_step = models.ForeignKey(
        CampaignStep,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispatches",
        verbose_name="step",
    )
    email_account = models.ForeignKey(EmailAccount, on_delete=models.PROTECT, related_name="+")
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    driver = models.CharField(max_length=10, choices=Driver.choices, default=Driver.DIRECT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    send_after = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # A blast's step as launched, and whether its audience is still being queued (in the
    # background, after the launch page answered): it does not finish before that ends.
    snapshot = models.ForeignKey(
        StepSnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    queuing = models.BooleanField(default=False, editable=False)
    # n8n mode: when the dispatch call reached n8n, and what n8n last reported.
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.TextField(blank=True)
    # n8n mode, for the watchdog (campaigns/n8n/watchdog.py): how many runs n8n was asked
    # for, when a run last claimed, and until when a run is expected to claim again (past
    # that, or null once telling n8n failed or its run stopped on a pause: a new run).
    runs_started = models.PositiveIntegerField(default=0, editable=False)
    last_claim_at = models.DateTimeField(null=True, blank=True, editable=False)
    run_due_by = models.DateTimeField(null=True, blank=True, editable=False)
    reported_status = models.CharField(max_length=20, blank=True)
    reported_stats = models.JSONField(default=dict, blank=True)
    reported_errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign_step"], name="campaigns_one_dispatch_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign} – {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


NOT_WRITTEN_YET = "{step} (written when it is sent)"


class AbGroup(models.TextChoices):
    """A message's part in its blast's A/B subject test (none: no test)."""

    TEST = "test", "Test"
    HELD = "held", "Held for the winner"
    REST = "rest", "Winner, to the rest"


class BounceType(models.TextChoices):
    """What a delivery-failure notice says about the address (campaigns/events/bounces.py)."""

    HARD = "hard", "Hard (the address does not exist)"
    SOFT = "soft", "Soft (full mailbox, busy server: retried)"
    POLICY = "policy", "Refused (spam or authentication policy)"


class MessageLogQuerySet(models.QuerySet["MessageLog"]):
    def waiting(self) -> "MessageLogQuerySet":
        """Those still to go out (WAITING: queued, or being sent)."""
        return self.filter(status__in=WAITING)

    def funnel(self, *stages: str, **more: models.Aggregate) -> dict[str, int]:
        """How many of these messages reached each stage of FUNNEL (all, or the ones named),
        and the `more` aggregates, in one query. Every page, export and dashboard counts
        through this, so they agree."""
        return self.aggregate(**_stage_counts(stages), **more)

    def funnel_by(self, *fields: str, stages: tuple = (), **more: models.Aggregate) -> Any:
        """The funnel per value of `fields` (per campaign, per step, per day): dict rows."""
        return self.values(*fields).annotate(**_stage_counts(stages), **more).order_by()


class MessageLog(models.Model):
    """One message to one lead: the outbox row and, after sending, its tracking record."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        REPLIED = "replied", "Replied"
        BOUNCED = "bounced", "Bounced"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        UNKNOWN = "unknown", "Unknown"
        CANCELLED = "cancelled", "Cancelled"

    # The keys that lead a composite index below get no index of their own: a launch writes
    # every index of 100,000 rows, and these five would only repeat the composites' prefix.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="message_logs", db_index=False
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="message_logs", db_index=False
    )
    campaign_step = models.ForeignKey(
        CampaignStep,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="message_logs",
        verbose_name="step",
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="message_logs", db_index=False
    )
    dispatch = models.ForeignKey(
        Dispatch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="message_logs",
        db_index=False,
    )
    email_account = models.ForeignKey(
        EmailAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The frozen step the message is rendered from when claimed (empty: rendered already).
    snapshot = models.ForeignKey(
        StepSnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # An A/B subject test (campaigns/ab_tests/variants.py): the subject the message has (A to D),
    # and its part in the test; a held message is never claimed until the winner is chosen.
    variant = models.CharField(max_length=1, blank=True)
    ab_group = models.CharField(
        max_length=4, choices=AbGroup.choices, blank=True, verbose_name="A/B test part"
    )
    is_test = models.BooleanField(default=False, help_text="A test send to staff: never counted.")
    to_email = models.EmailField(
        blank=True, verbose_name=pgettext_lazy("the address a message went to", "to")
    )
    # The content as rendered when claimed (what was previewed is what is sent), kept.
    subject = models.CharField(max_length=998, blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True, help_text="RFC 5322 Message-ID")
    in_reply_to = models.CharField(max_length=255, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    thread_id = models.CharField(max_length=255, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Tracking: the links of the message (clicks name one by its position), and counts.
    links = models.JSONField(default=list, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    click_count = models.PositiveIntegerField(default=0)
    prefetch_count = models.PositiveIntegerField(
        default=0, help_text="Hits from image proxies and link scanners, not counted as people."
    )
    error_message = models.TextField(blank=True)
    # Tries that failed for now (Gmail down, no token, a full disk): the message waited
    # again; after settings.SEND_ATTEMPTS of them it fails for good (outbox/claims.py).
    attempts = models.PositiveSmallIntegerField(default=0)
    # A bounce's kind (campaigns/events/bounces.py), and how many times the message bounced
    # softly (mailbox full, server busy): each one is retried, up to the address's limit.
    bounce_type = models.CharField(
        max_length=10, choices=BounceType.choices, blank=True, default="", db_default=""
    )
    soft_bounces = models.PositiveSmallIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = MessageLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "message"
        constraints = [
            # The heart of idempotent dispatch: one message per (step, lead), ever.
            models.UniqueConstraint(
                fields=["campaign_step", "lead"],
                condition=models.Q(is_test=False),
                name="campaigns_one_message_per_step_and_lead",
            )
        ]
        indexes = [
            # Dashboards: per organization by day, and by status (latest failures first);
            # per campaign funnels and charts; a lead's timeline; the sender's queue.
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "sent_at"]),
            models.Index(fields=["organization", "status", "updated_at"]),
            models.Index(
                fields=["organization"],
                # WAITING (below; tests/campaigns/test_one_place_for_each_rule.py checks).
                condition=models.Q(status__in=["queued", "sending"], is_test=False),
                name="campaigns_messages_waiting",
            ),
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["campaign", "sent_at"]),
            models.Index(fields=["lead", "-created_at"]),
            # The claims (campaigns/outbox/claims.py) take an account's, or a dispatch's
            # account's, oldest queued messages in the order (created_at, id): read in that
            # order from these, with no sort of the queue, however long it is (a launch's
            # chunk of 5,000 shares one created_at). The dispatch's counts use its prefix.
            models.Index(
                fields=["status", "email_account", "created_at", "id"],
                name="campaigns_claim_by_account",
            ),
            models.Index(
                fields=["dispatch", "status", "email_account", "created_at", "id"],
                name="campaigns_claim_by_dispatch",
            ),
            models.Index(fields=["email_account", "sent_at"]),
            # The home's checklist asks whether an agency sent a test yet: a few rows.
            models.Index(
                fields=["organization"],
                condition=models.Q(is_test=True),
                name="campaigns_test_sends",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.campaign} → {self.to_email or self.lead_id}"

    @property
    def subject_shown(self) -> str:
        """The subject as sent. A queued message is written when its turn comes (rendered
        at its claim, for the lead as they are then): until then, its step."""
        if self.subject or self.campaign_step is None:
            return self.subject
        return NOT_WRITTEN_YET.format(step=self.campaign_step.label())


# Still to go out: queued, or claimed and being sent. Every count of what waits reads this.
WAITING = [MessageLog.Status.QUEUED, MessageLog.Status.SENDING]
# The statuses of a message that went out (the status shows the furthest event since).
SENT_OR_LATER = [
    MessageLog.Status.SENT,
    MessageLog.Status.DELIVERED,
    MessageLog.Status.OPENED,
    MessageLog.Status.CLICKED,
    MessageLog.Status.REPLIED,
    MessageLog.Status.BOUNCED,
    MessageLog.Status.UNSUBSCRIBED,
]
# The funnel's stages. What happened after sending is counted by its timestamp, whatever
# the status shows now: a lead who replied, then unsubscribed, still replied.
FUNNEL = {
    "queued": models.Q(status__in=WAITING),
    "sent": models.Q(status__in=SENT_OR_LATER),
    "opened": models.Q(opened_at__isnull=False),
    "clicked": models.Q(clicked_at__isnull=False),
    "replied": models.Q(replied_at__isnull=False),
    "bounced": models.Q(bounced_at__isnull=False),
    "unsubscribed": models.Q(unsubscribed_at__isnull=False),
    "failed": models.Q(status=MessageLog.Status.FAILED),
    "skipped": models.Q(status=MessageLog.Status.SKIPPED),
}
# The stages of the messages that went out, each a part of the one before: what a rate is
# taken over (the campaign list, an A/B test's subjects, a step's funnel chart).
ENGAGEMENT = ("sent", "opened", "clicked", "replied")
# Every outcome of a message that went out (counted on the day it was sent).
OUTCOMES = (*ENGAGEMENT, "bounced", "unsubscribed")
# What became of the messages made: every stage but the waiting one.
SETTLED = tuple(stage for stage in FUNNEL if stage != "queued")


def _stage_counts(stages: tuple) -> dict[str, models.Count]:
    return {name: models.Count("pk", filter=FUNNEL[name]) for name in stages or FUNNEL}


# Why a lead stopped in a sequence, as staff read it on the enrollment.
STOPPED_UNSUBSCRIBED = "unsubscribed"
# A lead of a sequence skipped for one of audience.skip_reasons, by reason.
STOPPED_SKIPPED = {
    "opted_out": STOPPED_UNSUBSCRIBED,
    "suppressed": STOPPED_UNSUBSCRIBED,
    "left": "left this campaign on their preference page",
    "no_consent": "no consent on record that the agency's rules accept",
    "consent_expired": "their consent expired",
}
STOPPED_STATUS = "lead became {status}"
STOPPED_BOUNCED = "a message bounced or failed"
STOPPED_REPLIED = "replied"
STOPPED_BY_STAFF = "removed by staff"
STOPPED_AFTER_FAILURE = "step {order} could not be sent: {error}"


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def stop(self, reason: str) -> int:
        """The active ones among these stop for good, with the reason staff will read. Every
        event that ends a lead's way (reply, bounce, opt-out, failure, staff) calls this."""
        return self.filter(state=Enrollment.State.ACTIVE).update(
            state=Enrollment.State.STOPPED,
            stop_reason=reason[:200],
            next_due_at=None,
            updated_at=timezone.now(),
        )

    def postpone(self, delay: datetime.timedelta) -> int:
        """The active ones with a step due move it `delay` later, into their campaign's send
        window (a paused sequence resuming)."""
        waiting = list(
            self.filter(state=Enrollment.State.ACTIVE, next_due_at__isnull=False).select_related(
                "campaign__organization"
            )
        )
        now = timezone.now()
        for enrollment in waiting:
            assert enrollment.next_due_at is not None  # as filtered
            enrollment.next_due_at = enrollment.campaign.place_in_window(
                enrollment.next_due_at + delay
            )
            enrollment.updated_at = now
        update_many(waiting, ["next_due_at", "updated_at"])
        return len(waiting)


class Enrollment(models.Model):
    """One lead's way through a sequence: where they are and when the next step is due."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="enrollments"
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="enrollments")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="enrollments")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    stop_reason = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    # The order of the next step to send (steps are sent in order, inactive ones skipped).
    next_order = models.PositiveSmallIntegerField(default=0)
    next_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["next_due_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "lead"], name="campaigns_enrol_once")
        ]
        indexes = [
            # The tick's one query: active enrollments whose time has come.
            models.Index(fields=["state", "next_due_at"]),
            models.Index(fields=["campaign", "state"]),
            # The enrollments page: an agency's, by due time, a page at a time.
            models.Index(fields=["organization", "next_due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.lead} in {self.campaign}"


class AutoReply(models.Model):
    """An automatic answer (out of office...) to a sent message, read from Gmail's headers:
    the lead's sequences wait instead of stopping (campaigns/events/auto_replies.py)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="auto_replies")
    message_log = models.ForeignKey(
        MessageLog, on_delete=models.CASCADE, related_name="auto_replies", verbose_name="answers"
    )
    # Gmail's id of the automatic answer: reading the thread again records nothing twice.
    provider_message_id = models.CharField(max_length=255)
    subject = models.CharField(max_length=998, blank=True)
    received_at = models.DateTimeField()
    return_date = models.DateField(
        null=True, blank=True, help_text="The day the subject says the lead is back."
    )
    held_until = models.DateTimeField(
        null=True, blank=True, help_text="The lead's next step waits until then."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "auto-reply"
        constraints = [
            models.UniqueConstraint(
                fields=["message_log", "provider_message_id"], name="campaigns_auto_reply_once"
            )
        ]
        indexes = [models.Index(fields=["lead", "-received_at"])]

    def __str__(self) -> str:
        return f"Auto-reply: {self.subject}" if self.subject else "Auto-reply"


class DailyStat(models.Model):
    """The home dashboard's figures per campaign and day, summed from the message log by
    `campaigns.reporting.stats.refresh` (the sender every few minutes, or `manage.py
    refresh_stats`). Messages count on the day they were sent, failures on the day they failed.
    Days from `StatsWindow.until` on are read live from the message log instead."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    clicked = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    unsubscribed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # The same messages counted once each, by the furthest outcome they reached (the
    # chart's stacks; see stats.FURTHEST): the columns above overlap (a click is an open).
    furthest_opened = models.PositiveIntegerField(default=0)
    furthest_clicked = models.PositiveIntegerField(default=0)
    furthest_replied = models.PositiveIntegerField(default=0)
    furthest_unsubscribed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "day"], name="campaigns_one_stat_a_day")
        ]
        indexes = [models.Index(fields=["organization", "day"])]

    def __str__(self) -> str:
        return f"{self.campaign_id} on {self.day}"


class StatsWindow(models.Model):
    """The one row saying which days DailyStat holds: [since, until), and when it was made."""

    since = models.DateField()
    until = models.DateField()
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.since} to {self.until}, summed at {self.refreshed_at:%Y-%m-%d %H:%M}"


class SignedRequest(models.Model):
    """A request id of a signed call and the answer it got, kept a while after its signature
    expires (campaigns.api.request_ids): a retry runs nothing again and gets the same answer."""

    request_id = models.CharField(max_length=64, primary_key=True)
    # SHA-256 of the method, path and body: the same id with other bytes is refused.
    fingerprint = models.CharField(max_length=64)
    # Empty while the first call runs.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.request_id} ({self.status_code or 'running'})"


class LinkClick(models.Model):
    """One counted click on a link of a sent message (scanners and prefetches excluded):
    which link each person followed, summed per campaign on its page."""

    message = models.ForeignKey(MessageLog, on_delete=models.CASCADE, related_name="link_clicks")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=2000)
    clicked_at = models.DateTimeField()

    class Meta:
        ordering = ["clicked_at"]
        indexes = [
            # A campaign's clicks per link: one aggregate over its rows, grouped by URL.
            models.Index(fields=["campaign", "url"]),
        ]

    def __str__(self) -> str:
        return self.url


class SenderHeartbeat(models.Model):
    """When a sender (`send_queued`) last went round its loop. The campaign page and the home
    warn when it has been silent for a while and messages are waiting for it."""

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class AbTest(models.Model):
    """A launched blast's subject test (campaigns/ab_tests/variants.py): its settings as launched,
    and once the winner is chosen, which one, why, and each variant's figures at that moment."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="ab_test")
    dispatch = models.OneToOneField(Dispatch, on_delete=models.CASCADE, related_name="ab_test")
    variants = models.CharField(max_length=4, help_text="The letters tested, e.g. ABC.")
    share = models.PositiveSmallIntegerField(verbose_name="test share (%)")
    wait = models.DurationField()
    measure = models.CharField(max_length=10, choices=AbMeasure.choices)
    # Set when the audience is queued and the test's messages released.
    per_variant = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    winner = models.CharField(max_length=1, blank=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who picked the winner; empty when the test decided.",
    )
    p_value = models.FloatField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    # {letter: {"sent": n, "opened": n, "clicked": n, "replied": n}} when it was decided.
    results = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "A/B test"

    def __str__(self) -> str:
        return f"A/B test of {self.campaign}"


class ListingAlert(models.Model):
    """A listing alert campaign's news about one property (new, or its price dropped): it
    waits for review, is sent through its own blast (`blast`), or says why nothing was."""

    class Reason(models.TextChoices):
        NEW = "new", "New listing"
        PRICE_DROP = "price_drop", "Price drop"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        SENT = "sent", "Sent"
        REFUSED = "refused", "Nothing sent"
        DISMISSED = "dismissed", "Dismissed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="listing_alerts")
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="listing_alerts")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    old_price = models.PositiveBigIntegerField(null=True, blank=True)
    new_price = models.PositiveBigIntegerField(null=True, blank=True, verbose_name="price")
    matched = models.PositiveIntegerField(
        default=0, verbose_name="leads", help_text="Leads it fits (when sent: it was sent to)."
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    refusal = models.CharField(max_length=300, blank=True, verbose_name="why nothing was sent")
    # A sending that failed (no account...): the alert waits, saying why.
    send_error = models.CharField(max_length=300, blank=True)
    # The alert's email: a blast made from the campaign's step when the alert was made.
    blast = models.OneToOneField(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="listing_alert",
        verbose_name="email",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "listing alert"
        constraints = [
            # A listing is new once; a drop is measured from the last alert's price, so the
            # price of each alert about a listing is lower than the one before: never twice.
            models.UniqueConstraint(
                fields=["campaign", "property"],
                condition=models.Q(reason="new"),
                name="campaigns_alert_new_listing_once",
            ),
            models.UniqueConstraint(
                fields=["campaign", "property", "new_price"],
                name="campaigns_alert_once_per_price",
            ),
        ]
        indexes = [models.Index(fields=["organization", "state", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.property}"


class AlertedLead(models.Model):
    """A lead told about a listing by an alert: no alert about that listing reaches them
    again, whatever the campaign (the unique constraint holds it under any race)."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="alerted")
    alert = models.ForeignKey(
        ListingAlert, on_delete=models.SET_NULL, null=True, related_name="alerted_leads"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["property", "lead"], name="campaigns_lead_alerted_once_per_listing"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} about {self.property_id}"


class OptOut(models.Model):
    """A lead's narrower opt-out, from the preference page behind the unsubscribe link:
    one campaign, or one kind of campaign (listing alerts, newsletters, follow-ups). Leaving
    everything is the lead's own unsubscribe (Lead.unsubscribed_at) instead."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="opt_outs")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Campaign.Type.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "opt-out"
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "campaign"],
                condition=models.Q(campaign__isnull=False),
                name="campaigns_opt_out_of_campaign_once",
            ),
            models.UniqueConstraint(
                fields=["lead", "kind"],
                condition=~models.Q(kind=""),
                name="campaigns_opt_out_of_kind_once",
            ),
            models.CheckConstraint(
                condition=models.Q(campaign__isnull=True, kind__gt="")
                | models.Q(campaign__isnull=False, kind=""),
                name="campaigns_opt_out_of_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.campaign or self.get_kind_display()}"


class DomainCheck(models.Model):
    """What the DNS said about a sending domain's SPF, DKIM and DMARC when it was last
    read (campaigns/accounts/domain_check.py). Pages show the stored result with its time;
    they never wait on DNS."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    domain = models.CharField(max_length=253)
    checked_at = models.DateTimeField()
    spf = models.TextField(blank=True, help_text="The SPF record found.")
    dmarc = models.TextField(blank=True, help_text="The DMARC record found.")
    # {selector: the DKIM record found, or ""}
    dkim = models.JSONField(default=dict, blank=True)
    # [{"key": "dmarc", "ok": false, "text": "...", "fix": "..."}] in the order shown.
    findings = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True, help_text="Why DNS could not be read.")

    class Meta:
        verbose_name = "domain check"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "domain"], name="campaigns_one_check_per_domain"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain} at {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def problems(self) -> list[dict]:
        return [finding for finding in self.findings if not finding.get("ok")]

    @property
    def authenticated(self) -> bool:
        """SPF, DKIM and DMARC all in place (what Gmail asks of bulk senders)."""
        return not self.error and not self.problems
