"""Stage 3, the sequence tick on 100,000 enrollments: nothing due, and a tenth due (of
whom the leads that became clients or were lost are stopped, the others get their step)."""

import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from bench import checks, launching
from bench.timing import timed
from campaigns.audiences import audience
from campaigns.models import (
    STOPPED_BOUNCED,
    STOPPED_REPLIED,
    STOPPED_STATUS,
    STOPPED_UNSUBSCRIBED,
    Campaign,
    CampaignStep,
    Enrollment,
    MessageLog,
)
from campaigns.sequences import schedule
from crm.models import Lead
from crm.suppression import suppressed_leads

BATCH = 2000
Status = MessageLog.Status
STOPPING = {Lead.Status.CLIENT, Lead.Status.LOST}


def prepare(size: int, due_every: int) -> Campaign:
    """A sequence with `size` enrollments; one in `due_every` is due now (0: none)."""
    campaign = launching.prepare(size)
    Campaign.objects.filter(pk=campaign.pk).update(
        type=Campaign.Type.SEQUENCE,
        status=Campaign.Status.ACTIVE,
        send_on_weekends=True,
        window_start=datetime.time(0, 0),
        window_end=datetime.time(23, 59),
    )
    campaign.refresh_from_db()
    for order, day in ((2, 3), (3, 7)):
        CampaignStep.objects.create(
            campaign=campaign,
            order=order,
            offset_days=day,
            subject="Step {{ lead.name }}",
            body_template="<p>Hi</p>",
        )
    now = timezone.now()
    later, past = now + datetime.timedelta(days=2), now - datetime.timedelta(minutes=5)
    leads = Lead.objects.filter(organization=campaign.organization).values_list("pk", flat=True)
    Enrollment.objects.bulk_create(
        (
            Enrollment(
                organization_id=campaign.organization_id,
                campaign=campaign,
                lead_id=pk,
                started_at=now,
                next_order=1,
                next_due_at=past if due_every and n % due_every == 0 else later,
            )
            for n, pk in enumerate(leads)
        ),
        batch_size=5000,
    )
    return campaign


def _measured(size: int, due_every: int, tick: Callable[[], str | None]) -> dict:
    campaign = prepare(size, due_every)
    measured = timed(tick)
    checks.render_as_claimed(campaign, size)
    output = checks.merged(checks.messages(campaign, size), checks.enrollments(campaign, size))
    return {**measured, "output": output}


def ours_idle(size: int) -> dict:
    return _measured(size, 0, lambda: f"ours: {schedule.tick()}")


def ours_due(size: int) -> dict:
    return _measured(size, 10, lambda: f"ours: {schedule.tick()}")


def _stop_reason(lead: Lead, suppressed: bool, replied: bool, failed: bool) -> str:
    """The sequence's stop rules, in the order ours applies them."""
    if suppressed:
        return STOPPED_UNSUBSCRIBED
    if lead.status in STOPPING:
        return STOPPED_STATUS.format(status=lead.status)
    if replied:
        return STOPPED_REPLIED
    if failed:
        return STOPPED_BOUNCED
    return ""


def _advance(enrollment: Enrollment, steps: list[CampaignStep], now: datetime.datetime):
    """Move the enrollment past its due step; the step, or None when none is left."""
    step = next((s for s in steps if s.order >= enrollment.next_order), None)
    following = next((s for s in steps if step and s.order > step.order), None)
    if step is not None:
        enrollment.next_order = step.order + 1
    if following is None:
        enrollment.state, enrollment.next_due_at = Enrollment.State.COMPLETED, None
    else:
        enrollment.next_due_at = schedule.due_time(
            enrollment.campaign, enrollment.started_at, following, now + schedule.MIN_GAP
        )
    return step


def _peer_message(enrollment: Enrollment, step: CampaignStep, first: CampaignStep) -> MessageLog:
    campaign, lead = enrollment.campaign, enrollment.lead
    assert campaign.email_account is not None  # the bench's sequence sends from its account
    log = launching.rendered_message(step, lead, campaign.email_account)
    if campaign.thread_follow_ups and step.pk != first.pk and log.status != Status.FAILED:
        opener = MessageLog.objects.filter(
            campaign=campaign,
            lead=lead,
            campaign_step=first,
            is_test=False,
            status__in=[Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED],
        ).first()
        if opener is not None:
            log.thread_id, log.in_reply_to = opener.thread_id, opener.message_id
            log.subject = opener.subject.removeprefix("Re: ")
            log.subject = f"Re: {log.subject}"
    return log


def _expert_tick() -> None:
    """A Django expert's tick: the due enrollments by the indexed (state, next_due_at), the
    stop rules read as three sets, the same render per due lead, bulk_create in batches of
    2,000, and one update() per set of new values (bulk_update's CASE per row and field
    took 26 of 66 seconds at 100,000 enrollments)."""
    now = timezone.now()
    due = Enrollment.objects.filter(
        state=Enrollment.State.ACTIVE,
        next_due_at__lte=now,
        campaign__status=Campaign.Status.ACTIVE,
    ).select_related(
        "lead__organization",
        "lead__property",
        "campaign__organization",
        "campaign__email_account",
    )
    if not due.exists():
        return
    leads = Lead.objects.filter(pk__in=due.values("lead"))
    # Bench agencies follow CAN-SPAM and nobody left a campaign: the suppression list is all.
    suppressed = set(leads.filter(suppressed_leads()).values_list("pk", flat=True))
    logs = MessageLog.objects.filter(lead__in=due.values("lead"), is_test=False)
    replied = set(logs.filter(status=Status.REPLIED).values_list("campaign", "lead"))
    failed = set(
        logs.filter(status__in=[Status.BOUNCED, Status.FAILED]).values_list("campaign", "lead")
    )
    steps: dict[object, list[CampaignStep]] = {}
    messages: list[MessageLog] = []
    # The enrollments' new values, and which enrollments take them: one update() each.
    moves: dict[tuple, list[uuid.UUID]] = defaultdict(list)
    for enrollment in due.iterator(chunk_size=BATCH):
        if enrollment.campaign_id not in steps:
            steps[enrollment.campaign_id] = schedule.active_steps(enrollment.campaign)
        campaign_steps = steps[enrollment.campaign_id]
        key = (enrollment.campaign_id, enrollment.lead_id)
        reason = _stop_reason(
            enrollment.lead, enrollment.lead_id in suppressed, key in replied, key in failed
        )
        if reason:
            enrollment.state, enrollment.stop_reason = Enrollment.State.STOPPED, reason
            enrollment.next_due_at = None
        else:
            step = _advance(enrollment, campaign_steps, now)
            if step is not None:
                messages.append(_peer_message(enrollment, step, campaign_steps[0]))
        values = (
            enrollment.state,
            enrollment.stop_reason,
            enrollment.next_order,
            enrollment.next_due_at,
        )
        moves[values].append(enrollment.pk)
    with transaction.atomic():
        MessageLog.objects.bulk_create(messages, batch_size=BATCH)
        for (state, reason, order, due_at), pks in moves.items():
            for start in range(0, len(pks), BATCH):
                Enrollment.objects.filter(pk__in=pks[start : start + BATCH]).update(
                    state=state,
                    stop_reason=reason,
                    next_order=order,
                    next_due_at=due_at,
                    updated_at=now,
                )


def _naive_tick() -> None:
    """The naive tick: every active enrollment loaded and decided in Python, the stop rules
    asked per lead, a render and a save per due lead, a save per enrollment."""
    now = timezone.now()
    for enrollment in Enrollment.objects.filter(state=Enrollment.State.ACTIVE).select_related(
        "lead__organization", "lead__property", "campaign__email_account"
    ):
        if not enrollment.next_due_at or enrollment.next_due_at > now:
            continue
        lead, campaign = enrollment.lead, enrollment.campaign
        logs = MessageLog.objects.filter(campaign=campaign, lead=lead, is_test=False)
        reason = _stop_reason(
            lead,
            Lead.objects.filter(pk=lead.pk).filter(audience.suppressed(campaign)).exists(),
            logs.filter(status=Status.REPLIED).exists(),
            logs.filter(status__in=[Status.BOUNCED, Status.FAILED]).exists(),
        )
        if reason:
            enrollment.state, enrollment.stop_reason = Enrollment.State.STOPPED, reason
            enrollment.next_due_at = None
        else:
            steps = schedule.active_steps(campaign)
            step = _advance(enrollment, steps, now)
            if step is not None:
                _peer_message(enrollment, step, steps[0]).save()
        enrollment.save()


def peer_idle(size: int) -> dict:
    return _measured(size, 0, _expert_tick)


def peer_due(size: int) -> dict:
    return _measured(size, 10, _expert_tick)


def naive_idle(size: int) -> dict:
    return _measured(size, 0, _naive_tick)


def naive_due(size: int) -> dict:
    return _measured(size, 10, _naive_tick)
