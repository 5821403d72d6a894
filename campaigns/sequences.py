"""Sequences that run themselves: enrolment, due times in a send window, and the tick that
queues every step that is due (set-based: a tick with nothing due is one indexed query)."""

import datetime
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from campaigns import audience, dispatch, sending
from campaigns.models import Campaign, CampaignStep, Dispatch, Enrollment, MessageLog
from crm.bulk import update_many
from crm.models import Lead

BATCH = 1000
# Two steps of one lead are never sent closer than this, even when catching up.
MIN_GAP = datetime.timedelta(hours=20)
STOPPED_UNSUBSCRIBED = "unsubscribed"
STOPPED_STATUS = "lead became {status}"
STOPPED_BOUNCED = "a message bounced or failed"
STOPPED_REPLIED = "replied"
STOPPED_BY_STAFF = "removed by staff"
NOT_A_SEQUENCE = "Only sequence campaigns enrol leads."
# A lead with one of these statuses gets no further step (the tick stops them).
STOP_STATUSES = (Lead.Status.CLIENT, Lead.Status.LOST)
Status = MessageLog.Status


def place_in_window(moment: datetime.datetime, campaign: Campaign) -> datetime.datetime:
    """The first moment at or after `moment` inside the campaign's send window, in the
    organization's time zone (weekends skipped unless allowed)."""
    zone = zoneinfo.ZoneInfo(campaign.organization.timezone)
    local = moment.astimezone(zone)
    day = local.date()
    for _ in range(14):
        weekend = day.weekday() >= 5 and not campaign.send_on_weekends
        start = datetime.datetime.combine(day, campaign.window_start, tzinfo=zone)
        end = datetime.datetime.combine(day, campaign.window_end, tzinfo=zone)
        if not weekend:
            if local < start:
                return start
            if local < end:
                return local
        day += datetime.timedelta(days=1)
        local = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    raise ValueError("the send window never opens")  # window_end <= window_start


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
    return place_in_window(
        max(started_at + datetime.timedelta(days=step.offset_days), earliest), campaign
    )


def enroll(campaign: Campaign, leads: Any, now: datetime.datetime | None = None) -> int:
    """Enrol the given leads (a queryset) who are not enrolled yet; returns how many."""
    if campaign.type != Campaign.Type.SEQUENCE:
        raise dispatch.LaunchError(NOT_A_SEQUENCE)
    now = now or timezone.now()
    steps = active_steps(campaign)
    if not steps:
        return 0
    first = steps[0]
    due = due_time(campaign, now, first, now)
    fresh = leads.exclude(Exists(Enrollment.objects.filter(campaign=campaign, lead=OuterRef("pk"))))
    fresh = fresh.exclude(audience.suppressed())
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
    dispatch.launch_plan(campaign)  # same checks as a blast: steps, account, audience
    started = timezone.now()
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            status=Campaign.Status.ACTIVE, launched_at=started, launched_by=user, updated_at=started
        ):
            raise dispatch.LaunchError(dispatch.ALREADY_SENDING.format(status="active"))
        campaign.status, campaign.launched_at = Campaign.Status.ACTIVE, started
        campaign.launched_by = user
        return enroll(campaign, audience.audience_of(campaign), now)


def stop(enrollments: Any, reason: str) -> int:
    return enrollments.stop(reason)


def _apply_stop_rules(due: Any) -> int:
    """Stop the due enrollments whose lead must not get the next step."""
    suppressed = Lead.objects.filter(audience.suppressed()).values("pk")
    stopped = stop(due.filter(lead__in=suppressed), STOPPED_UNSUBSCRIBED)
    for status in STOP_STATUSES:
        stopped += stop(due.filter(lead__status=status), STOPPED_STATUS.format(status=status))
    logs = MessageLog.objects.filter(
        campaign=OuterRef("campaign"), lead=OuterRef("lead"), is_test=False
    )
    stopped += stop(due.filter(Exists(logs.filter(status=Status.REPLIED))), STOPPED_REPLIED)
    stopped += stop(
        due.filter(Exists(logs.filter(status__in=[Status.BOUNCED, Status.FAILED]))),
        STOPPED_BOUNCED,
    )
    return stopped


def hold(enrollment: Enrollment, until: datetime.datetime) -> datetime.datetime | None:
    """Hold the enrollment's next step until `until` at the earliest (then the next opening
    of the send window); a step due later stays as it is. Returns its due time, None when
    the enrollment has no step waiting."""
    for _ in range(3):
        if enrollment.state != Enrollment.State.ACTIVE or enrollment.next_due_at is None:
            return None
        due = place_in_window(max(until, enrollment.next_due_at), enrollment.campaign)
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


def _queue_campaign(campaign: Campaign, due: Any, now: datetime.datetime, result: TickResult):
    account = dispatch.sending_account(campaign)
    if account is None or not account.can_send:
        return  # they stay due: sent once the account is reconnected
    steps = active_steps(campaign)
    queued: list[MessageLog] = []
    for enrollment in due.select_related("lead__property")[: BATCH * 50]:
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
            enrollment.lead.organization = campaign.organization
            queued.append(_message(campaign, account, step, enrollment.lead, steps[0]))
    if not queued:
        return
    batch_dispatch = None
    if dispatch.current_driver() == Dispatch.Driver.N8N:
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
        from campaigns import n8n

        transaction.on_commit(lambda: n8n.notify(batch_dispatch.pk))


def _message(
    campaign: Campaign, account: Any, step: CampaignStep, lead: Lead, first_step: CampaignStep
) -> MessageLog:
    log = sending.queued_message(step=step, lead=lead, account=account)
    if log.status == Status.FAILED:
        return log
    if campaign.thread_follow_ups and step.pk != first_step.pk:
        first = MessageLog.objects.filter(
            campaign=campaign,
            lead=lead,
            campaign_step=first_step,
            is_test=False,
            status__in=[Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED],
        ).first()
        if first is not None:
            # Gmail threads a reply when threadId is given and the subject matches.
            log.thread_id, log.in_reply_to = first.thread_id, first.message_id
            log.subject = (
                first.subject if first.subject.startswith("Re: ") else (f"Re: {first.subject}")
            )
    return log


def sequence_resume(campaign: Campaign) -> bool:
    """Resume a paused sequence, shifting every due time by the length of the pause so the
    leads' schedules keep their spacing (no burst of everything that fell due)."""
    now = timezone.now()
    paused_at = campaign.paused_at
    if not dispatch.campaign_resume(campaign):
        return False
    if paused_at and campaign.type == Campaign.Type.SEQUENCE:
        pause = now - paused_at
        waiting = list(
            Enrollment.objects.filter(
                campaign=campaign, state=Enrollment.State.ACTIVE, next_due_at__isnull=False
            ).only("pk", "next_due_at", "updated_at")
        )
        for enrollment in waiting:
            enrollment.next_due_at = place_in_window(enrollment.next_due_at + pause, campaign)
        update_many(waiting, ["next_due_at", "updated_at"])
    return True
