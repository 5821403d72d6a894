"""Sequences that run themselves: enrolment, due times in a send window, and the tick that
queues every step that is due (set-based: a tick with nothing due is one indexed query)."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from campaigns.audiences import audience
from campaigns.content import follow_ups
from campaigns.launching import blasts
from campaigns.models import (
    STOPPED_BOUNCED,
    STOPPED_REPLIED,
    STOPPED_SKIPPED,
    STOPPED_STATUS,
    Campaign,
    CampaignStatusError,
    CampaignStep,
    Dispatch,
    Enrollment,
    MessageLog,
    StepSnapshot,
)
from campaigns.outbox import senders, sending
from crm.models import Lead

BATCH = 1000
# Two steps of one lead are never sent closer than this, even when catching up.
MIN_GAP = datetime.timedelta(hours=20)
NOT_A_SEQUENCE = "Only sequence campaigns enrol leads."
# A lead with one of these statuses gets no further step (the tick stops them).
STOP_STATUSES = (Lead.Status.CLIENT, Lead.Status.LOST)
Status = MessageLog.Status


def active_steps(campaign: Campaign) -> list[CampaignStep]:
    return list(campaign.steps.filter(is_active=True).order_by("order"))


def _next_step(steps: list[CampaignStep], order: int) -> CampaignStep | None:
    return next((step for step in steps if step.order >= order), None)


def due_time(
    campaign: Campaign,
    started_at: datetime.datetime,
    step: CampaignStep,
    earliest: datetime.datetime,
) -> datetime.datetime:
    return campaign.place_in_window(
        max(started_at + datetime.timedelta(days=step.offset_days), earliest)
    )


def enroll(campaign: Campaign, leads: Any, now: datetime.datetime | None = None) -> int:
    """Enrol the given leads (a queryset) who are not enrolled yet; returns how many."""
    if campaign.type != Campaign.Type.SEQUENCE:
        raise blasts.LaunchError(NOT_A_SEQUENCE)
    now = now or timezone.now()
    steps = active_steps(campaign)
    if not steps:
        return 0
    first = steps[0]
    due = due_time(campaign, now, first, now)
    fresh = leads.exclude(Exists(Enrollment.objects.filter(campaign=campaign, lead=OuterRef("pk"))))
    fresh = fresh.exclude(audience.suppressed(campaign, now))
    created = 0
    batch: list[Enrollment] = []
    for lead_id in fresh.values_list("pk", flat=True).iterator(chunk_size=BATCH):
        batch.append(
            Enrollment(
                organization_id=campaign.organization_id,
                campaign=campaign,
                lead_id=lead_id,
                started_at=now,
                next_order=first.order,
                next_due_at=due,
            )
        )
        if len(batch) >= BATCH:
            created += len(Enrollment.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    created += len(Enrollment.objects.bulk_create(batch, ignore_conflicts=True))
    return created


def sequence_activate(
    *, campaign: Campaign, user: Any = None, now: datetime.datetime | None = None
) -> int:
    """Start a draft sequence: draft -> active, and enrol its audience."""
    blasts.launch_plan(campaign)  # same checks as a blast: steps, account, audience
    with transaction.atomic():
        try:
            campaign.launch(user)
        except CampaignStatusError:
            status = campaign.get_status_display().lower()
            raise blasts.LaunchError(blasts.ALREADY_SENDING.format(status=status)) from None
        return enroll(campaign, audience.audience_of(campaign), now)


def _apply_stop_rules(due: Any) -> int:
    """Stop the due enrollments whose lead must not get the next step."""
    stopped = 0
    for campaign in Campaign.objects.filter(pk__in=due.values("campaign")).select_related(
        "organization"
    ):
        # The lead opted out, left the campaign, or may no longer be emailed (consent).
        for reason, skipped in audience.skip_reasons(campaign).items():
            leads = Lead.objects.filter(skipped).values("pk")
            stopped += due.filter(campaign=campaign, lead__in=leads).stop(STOPPED_SKIPPED[reason])
    for status in STOP_STATUSES:
        stopped += due.filter(lead__status=status).stop(STOPPED_STATUS.format(status=status))
    logs = MessageLog.objects.filter(
        campaign=OuterRef("campaign"), lead=OuterRef("lead"), is_test=False
    )
    stopped += due.filter(Exists(logs.filter(replied_at__isnull=False))).stop(STOPPED_REPLIED)
    # A soft bounce is sent again, a refusal by policy is the domain's problem: neither
    # ends the lead's way (campaigns/events/bounces.py).
    ended = Q(status=Status.FAILED) | Q(status=Status.BOUNCED, bounce_type__in=["", "hard"])
    stopped += due.filter(Exists(logs.filter(ended))).stop(STOPPED_BOUNCED)
    return stopped


def hold(enrollment: Enrollment, until: datetime.datetime) -> datetime.datetime | None:
    """Hold the enrollment's next step until `until` at the earliest (then the next opening
    of the send window); a step due later stays as it is. Returns its due time, None when
    the enrollment has no step waiting."""
    for _ in range(3):
        if enrollment.state != Enrollment.State.ACTIVE or enrollment.next_due_at is None:
            return None
        due = enrollment.campaign.place_in_window(max(until, enrollment.next_due_at))
        if due <= enrollment.next_due_at:
            return enrollment.next_due_at
        # Conditional: a tick that queued the step meanwhile moved the enrollment on, and
        # the step after it is held instead.
        if Enrollment.objects.filter(
            pk=enrollment.pk,
            state=Enrollment.State.ACTIVE,
            next_order=enrollment.next_order,
            next_due_at=enrollment.next_due_at,
        ).update(next_due_at=due, updated_at=timezone.now()):
            enrollment.next_due_at = due
            return due
        enrollment.refresh_from_db(fields=["state", "next_order", "next_due_at"])
    return enrollment.next_due_at


@dataclass
class TickResult:
    enrolled: int = 0
    stopped: int = 0
    queued: int = 0
    completed: int = 0
    dispatches: list = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.enrolled} enrolled, {self.stopped} stopped, {self.queued} queued, "
            f"{self.completed} completed"
        )


def tick(now: datetime.datetime | None = None) -> TickResult:
    """Enrol new matching leads, then queue every step that is due. Safe to run twice at
    once: each enrollment moves on by a conditional UPDATE, and (step, lead) is unique."""
    now = now or timezone.now()
    result = TickResult()
    live = Campaign.objects.filter(type=Campaign.Type.SEQUENCE, status=Campaign.Status.ACTIVE)
    for campaign in live.filter(enroll_new_leads=True).select_related("organization"):
        result.enrolled += enroll(campaign, audience.audience_of(campaign), now)
    due = Enrollment.objects.filter(
        state=Enrollment.State.ACTIVE,
        next_due_at__lte=now,
        campaign__status=Campaign.Status.ACTIVE,
    )
    if not due.exists():
        return result
    result.stopped = _apply_stop_rules(due)
    for campaign in live.filter(pk__in=due.values("campaign")).select_related(
        "organization", "email_account"
    ):
        _queue_campaign(campaign, due.filter(campaign=campaign), now, result)
    return result


def _queue_campaign(
    campaign: Campaign, due: Any, now: datetime.datetime, result: TickResult
) -> None:
    account = senders.sending_account(campaign)
    if account is None or not account.can_send:
        return  # they stay due: sent once the account is reconnected
    steps = active_steps(campaign)
    snapshots: dict[Any, StepSnapshot] = {}
    queued: list[MessageLog] = []
    accounts = senders.Senders(campaign, account)  # each lead's agent's, or the campaign's
    for enrollment in due.select_related("lead")[: BATCH * 50]:
        step = _next_step(steps, enrollment.next_order)
        following = _next_step(steps, step.order + 1) if step else None
        state = Enrollment.State.ACTIVE if following else Enrollment.State.COMPLETED
        next_due = (
            due_time(campaign, enrollment.started_at, following, now + MIN_GAP)
            if following
            else None
        )
        moved = Enrollment.objects.filter(
            pk=enrollment.pk, state=Enrollment.State.ACTIVE, next_order=enrollment.next_order
        ).update(
            next_order=(step.order + 1) if step else enrollment.next_order,
            next_due_at=next_due,
            state=state,
            updated_at=now,
        )
        if not moved:
            continue  # another tick took it
        if state == Enrollment.State.COMPLETED:
            result.completed += 1
        if step is not None:
            if step.pk not in snapshots:
                snapshots[step.pk] = StepSnapshot.of(step)
            sender = accounts.for_owner(enrollment.lead.owner_id)
            queued.append(_message(campaign, sender, snapshots[step.pk], enrollment.lead, steps[0]))
    if not queued:
        return
    batch_dispatch = None
    if blasts.current_driver() == Dispatch.Driver.N8N:
        batch_dispatch = Dispatch.objects.create(
            organization_id=campaign.organization_id,
            campaign=campaign,
            email_account=account,
            driver=Dispatch.Driver.N8N,
            total=len(queued),
        )
        for log in queued:
            log.dispatch = batch_dispatch
    created = MessageLog.objects.bulk_create(queued, ignore_conflicts=True)
    result.queued += len(created)
    if batch_dispatch is not None:
        result.dispatches.append(batch_dispatch.pk)
        blasts.hand_over(batch_dispatch)


def _message(
    campaign: Campaign,
    account: Any,
    snapshot: StepSnapshot,
    lead: Lead,
    first_step: CampaignStep,
) -> MessageLog:
    log = sending.queued_message(snapshot=snapshot, lead=lead, account=account)
    if follow_ups.in_first_thread(snapshot.step, first_step):
        first = (
            MessageLog.objects.filter(
                campaign=campaign,
                lead=lead,
                campaign_step=first_step,
                is_test=False,
                status__in=[Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED],
            )
            .select_related("email_account")
            .first()
        )
        # A follow-up goes from the mailbox its thread is in, if still connected.
        threaded = senders.thread_account(first, account) if first is not None else None
        if first is not None and threaded is not None:
            log.email_account = threaded
            # Gmail threads a reply when threadId is given and the subject matches.
            log.thread_id, log.in_reply_to = first.thread_id, first.message_id
            # Kept when the message is rendered at its claim (sending.render_claimed).
            log.subject = follow_ups.subject_as_sent(
                snapshot.step, first_step, log.subject, first.subject
            )
    return log
