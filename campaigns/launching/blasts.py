"""Launching a blast: one Dispatch with the step's frozen snapshot, and one queued
MessageLog per lead (campaigns/launching/queuing.py), rendered when it is claimed.

The campaign's draft -> active transition and the one-dispatch-per-step constraint make a
second launch (double click, two staff, a retried command) queue nothing twice.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import n8n
from campaigns.ab_tests import variants
from campaigns.accounts import warmup
from campaigns.audiences import audience
from campaigns.launching import queuing
from campaigns.models import (
    Campaign,
    CampaignStatusError,
    CampaignStep,
    Dispatch,
    EmailAccount,
    MessageLog,
    StepSnapshot,
)
from campaigns.outbox import claims, senders

ALREADY_SENDING = _("This campaign has already been launched: it is {status}.")
NOT_A_BLAST = _("This is a sequence: activate it to enrol its audience.")
NO_STEP = _("Add a step (subject and body) before launching.")
NO_ACCOUNT = _("Choose a sending account for this campaign (or make one primary).")
ACCOUNT_CANNOT_SEND = _("{account} cannot send: {reason}. Reconnect it first.")
EMPTY_AUDIENCE = _("Nobody to send to: the audience is empty.")
SCHEDULE_IN_PAST = _("The scheduled time is in the past.")


class LaunchError(Exception):
    """A launch that was refused; nothing was queued. The message is for staff."""


@dataclass(frozen=True)
class Plan:
    """What a launch would do: shown on the confirmation page before anything happens."""

    step: CampaignStep
    account: EmailAccount
    audience: int
    suppressed: int
    remaining_today: int
    estimated_finish: datetime.datetime

    @property
    def to_send(self) -> int:
        return self.audience - self.suppressed


def current_driver() -> str:
    """Who sends what is launched now: n8n when it is configured, else this server."""
    return Dispatch.Driver.N8N if settings.N8N_BASE_URL else Dispatch.Driver.DIRECT


def hand_over(dispatch: Dispatch) -> None:
    """Start the dispatch's driver once the transaction commits: n8n is called; the direct
    driver needs no call (send_queued claims whatever runs)."""
    if dispatch.driver == Dispatch.Driver.N8N:
        transaction.on_commit(lambda: n8n.notify(dispatch.pk))


def launch_plan(campaign: Campaign, **audience_args: Any) -> Plan:
    """What launching (a blast) or activating (a sequence) would do; LaunchError if refused."""
    if not campaign.allows("launch"):
        raise LaunchError(ALREADY_SENDING.format(status=campaign.get_status_display().lower()))
    step = campaign.steps.order_by("order").first()
    if step is None:
        raise LaunchError(str(NO_STEP))
    account = senders.sending_account(campaign)
    if account is None:
        raise LaunchError(str(NO_ACCOUNT))
    if not account.can_send:
        reason = account.last_error or "it is disconnected"
        raise LaunchError(ACCOUNT_CANNOT_SEND.format(account=account, reason=reason))
    try:
        leads = audience.audience_of(campaign, **audience_args)
        total, suppressed = audience.sizes(leads, campaign)
    except audience.AudienceError as error:
        raise LaunchError(str(error)) from None
    cap = warmup.effective_daily_limit(account, timezone.now())
    remaining = max(0, cap - claims.sent_in_last_day(account))
    return Plan(
        step,
        account,
        total,
        suppressed,
        remaining,
        _estimated_finish(total - suppressed, remaining, account),
    )


def _estimated_finish(count: int, remaining_today: int, account: EmailAccount) -> datetime.datetime:
    per_minute = settings.GMAIL_QUOTA_UNITS_PER_MINUTE / settings.GMAIL_SEND_COST_UNITS
    minutes = count / per_minute
    days = 0 if count <= remaining_today else 1 + (count - remaining_today) // account.daily_limit
    return timezone.now() + datetime.timedelta(days=days, minutes=minutes)


def campaign_launch(
    *,
    campaign: Campaign,
    user: Any = None,
    send_after: datetime.datetime | None = None,
    lead_ids: list[str] | None = None,
    audience_filter: dict[str, Any] | None = None,
) -> Dispatch:
    """Queue the campaign's step for its audience; raises LaunchError when refused."""
    audience_args: dict[str, Any] = {}
    if lead_ids is not None:
        audience_args["lead_ids"] = lead_ids
    if audience_filter is not None:
        audience_args["audience_filter"] = audience_filter
    if campaign.type != Campaign.Type.BLAST:
        raise LaunchError(str(NOT_A_BLAST))
    plan = launch_plan(campaign, **audience_args)
    if plan.audience == 0:
        raise LaunchError(str(EMPTY_AUDIENCE))
    if send_after and send_after < timezone.now() - datetime.timedelta(minutes=1):
        raise LaunchError(str(SCHEDULE_IN_PAST))
    if problem := variants.launch_problem(campaign, plan.step, plan.account):
        raise LaunchError(problem)
    try:
        with transaction.atomic():
            try:
                campaign.launch(user)
            except CampaignStatusError:
                status = campaign.get_status_display().lower()
                raise LaunchError(ALREADY_SENDING.format(status=status)) from None
            dispatch = Dispatch.objects.create(
                organization_id=campaign.organization_id,
                campaign=campaign,
                campaign_step=plan.step,
                snapshot=StepSnapshot.of(plan.step),
                email_account=plan.account,
                launched_by=user,
                driver=current_driver(),
                send_after=send_after,
                status=Dispatch.Status.SCHEDULED if send_after else Dispatch.Status.RUNNING,
                total=plan.audience,
                skipped=plan.suppressed,
                queuing=True,
            )
            variants.ab_test_create(dispatch=dispatch)
            if audience_args:  # the command line's own audience: queued whole, here
                leads = audience.audience_of(campaign, **audience_args)
                queuing.queue(dispatch, leads.filter(created_at__lte=dispatch.created_at))
            elif queuing.fits_one_chunk(dispatch):
                queuing.queue(dispatch, queuing.launch_audience(dispatch))
            else:
                transaction.on_commit(lambda: queuing.queue_in_background(dispatch.pk))
            dispatch.refresh_from_db(fields=["total", "skipped", "queuing"])
            if not send_after:
                hand_over(dispatch)
    except IntegrityError:
        raise LaunchError(ALREADY_SENDING.format(status="active")) from None
    return dispatch


def finish_dispatches(now: datetime.datetime | None = None) -> int:
    """Dispatches with nothing left to send are completed, and so are their blasts."""
    now = now or timezone.now()
    pending = MessageLog.objects.waiting()
    done = Dispatch.objects.filter(status=Dispatch.Status.RUNNING, queuing=False).exclude(
        pk__in=pending.filter(dispatch__isnull=False).values("dispatch")
    )
    finished = 0
    for dispatch in done.select_related("campaign"):
        if Dispatch.objects.filter(pk=dispatch.pk, status=Dispatch.Status.RUNNING).update(
            status=Dispatch.Status.COMPLETED, finished_at=now
        ):
            finished += 1
            Campaign.objects.filter(pk=dispatch.campaign_id, type=Campaign.Type.BLAST).complete()
    return finished


def start_scheduled(now: datetime.datetime | None = None) -> int:
    """Scheduled dispatches whose time has come start running (and n8n is told). Safe to run
    twice at once: each dispatch starts by a conditional UPDATE, so it is handed over once."""
    started = 0
    due = Dispatch.objects.filter(
        status=Dispatch.Status.SCHEDULED, send_after__lte=now or timezone.now()
    )
    for dispatch in due:
        if Dispatch.objects.filter(pk=dispatch.pk, status=Dispatch.Status.SCHEDULED).update(
            status=Dispatch.Status.RUNNING
        ):
            started += 1
            hand_over(dispatch)
    return started
