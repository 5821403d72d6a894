"""Sending accounts, campaigns and their steps, and the message log (the outbox)."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from encrypted_model_fields.fields import EncryptedTextField

from campaigns import rendering
from crm.models import Lead, Organization


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
    reply_to = models.EmailField(blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.GMAIL)
    daily_limit = models.PositiveIntegerField(
        default=500, help_text="Messages per rolling 24 hours (Gmail: 500, Workspace: 2,000)."
    )
    is_active = models.BooleanField(default=True)
    is_primary = models.BooleanField(default=False, help_text="The organization's default sender.")
    needs_reconnect = models.BooleanField(default=False)
    paused_until = models.DateTimeField(
        null=True, blank=True, help_text="Set when Google reports a sending limit reached."
    )
    last_error = models.TextField(blank=True)
    granted_scopes = models.TextField(
        blank=True, editable=False, help_text="What Google allowed at the last connection."
    )
    # Reply and bounce detection (campaigns/replies.py): opt-in, headers only.
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
    def may_read_headers(self) -> bool:
        """Google granted the read-only metadata permission that reply detection needs."""
        return settings.GMAIL_METADATA_SCOPE in self.granted_scopes.split()

    def make_primary(self) -> None:
        """The organization's default sender; the database allows one per organization."""
        with transaction.atomic():
            EmailAccount.objects.filter(organization=self.organization_id, is_primary=True).exclude(
                pk=self.pk
            ).update(is_primary=False)
            EmailAccount.objects.filter(pk=self.pk).update(is_primary=True)
        self.is_primary = True


class Campaign(models.Model):
    class Type(models.TextChoices):
        BLAST = "blast", "Blast"
        SEQUENCE = "sequence", "Sequence"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.BLAST)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

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
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.FILTER)
    # Sequences: keep enrolling new matching leads, send window, threading.
    enroll_new_leads = models.BooleanField(
        default=False, help_text="Sequences: also enrol leads that match later (new leads)."
    )
    window_start = models.TimeField(default=datetime.time(9, 0), verbose_name="send from")
    window_end = models.TimeField(default=datetime.time(17, 0), verbose_name="send until")
    send_on_weekends = models.BooleanField(default=False)
    thread_follow_ups = models.BooleanField(
        default=True, help_text="Send follow-up steps as replies in the first message's thread."
    )
    track_opens = models.BooleanField(
        default=False, help_text="Add an invisible image that tells when the message is opened."
    )
    track_clicks = models.BooleanField(
        default=False, help_text="Send links through this server to count clicks."
    )
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    pause_reason = models.CharField(max_length=300, blank=True, editable=False)
    # The spec's audience filter: {"status": [...], "city": "...", "budget_min": 500000,
    # "source": "...", "created_from": "YYYY-MM-DD", "created_to": "YYYY-MM-DD"}.
    audience_filter = models.JSONField(default=dict, blank=True)
    chosen_leads = models.ManyToManyField(Lead, blank=True, related_name="chosen_for")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.email_account_id
            and self.organization_id
            and self.email_account.organization_id != self.organization_id
        ):
            raise ValidationError(
                {"email_account": "This account belongs to another organization."}
            )


class CampaignStep(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=1)
    offset_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days after the lead enters the campaign."
    )
    subject = models.CharField(max_length=255)
    body_template = models.TextField(help_text="HTML, with {{ lead.name }} style variables.")
    text_template = models.TextField(
        blank=True, help_text="Plain-text version; left empty, it is made from the HTML."
    )
    is_active = models.BooleanField(
        default=True,
        help_text="Inactive steps are skipped (a step that has sent cannot be "
        "deleted: deactivate it instead).",
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
        return f"{self.campaign} – step {self.order} (day {self.offset_days})"

    def clean(self) -> None:
        """Compile and try every template now, so mistakes show on the form, with the line."""
        errors = {}
        for field, html in (("subject", False), ("body_template", True), ("text_template", False)):
            source = getattr(self, field)
            if not source:
                continue
            try:
                rendering.render(source, rendering.SAMPLE_CONTEXT, html=html)
            except rendering.TemplateError as error:
                errors[field] = str(error)
        if errors:
            raise ValidationError(errors)


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
    # n8n mode: when the dispatch call reached n8n, and what n8n last reported.
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.TextField(blank=True)
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
        return f"{self.campaign} – {self.created_at:%Y-%m-%d %H:%M}"


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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="message_logs"
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="message_logs")
    campaign_step = models.ForeignKey(
        CampaignStep,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="message_logs",
        verbose_name="step",
    )
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="message_logs")
    dispatch = models.ForeignKey(
        Dispatch, on_delete=models.CASCADE, null=True, blank=True, related_name="message_logs"
    )
    email_account = models.ForeignKey(
        EmailAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    is_test = models.BooleanField(default=False, help_text="A test send to staff: never counted.")
    to_email = models.EmailField(blank=True)
    # The content as rendered when queued: what was previewed is what is sent.
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

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
                condition=models.Q(status__in=["queued", "sending"], is_test=False),
                name="campaigns_messages_waiting",
            ),
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["campaign", "sent_at"]),
            models.Index(fields=["lead", "-created_at"]),
            models.Index(fields=["status", "email_account", "created_at"]),
            models.Index(fields=["dispatch", "status"]),
            models.Index(fields=["email_account", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.campaign} → {self.to_email or self.lead_id}"


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


class DailyStat(models.Model):
    """The home dashboard's figures per campaign and day, summed from the message log by
    `campaigns.stats.refresh` (the sender every few minutes, or `manage.py refresh_stats`).
    Messages count on the day they were sent, failures on the day they failed. Days from
    `StatsWindow.until` on are read live from the message log instead."""

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
