"""Subject A/B tests of a blast: a share of the audience, split evenly between the step's
subjects (A to D), is sent first; the rest is queued held, and no claim takes a held
message. A wait after the last test message went out, the subject with the best rate on
the chosen measure goes to the rest, if the two-proportion z-test says the difference is
not chance (95%); otherwise the first subject. Staff may pick the winner instead, any time
before. Releasing the rest is one UPDATE (its variant, and no longer held); pacing and caps
then apply as to any message.

`decide_due` is a periodic job (campaigns/periodic/jobs.py: send_queued and n8n's tick run
it; manage.py decide_ab_tests runs it alone). A campaign that is not active is never
decided: a pause holds the test, and the decision comes after the resume.
"""

import datetime
import logging
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from campaigns.ab_tests import power
from campaigns.ab_tests.ab_results import (
    MEASURE_WORDS,
    Comparison,
    as_read,
    compare,
    messages_tested,
    variant_results,
)
from campaigns.models import (
    WAITING,
    AbGroup,
    AbMeasure,
    AbTest,
    Campaign,
    CampaignStep,
    Dispatch,
    EmailAccount,
    MessageLog,
)

log = logging.getLogger(__name__)
Status = MessageLog.Status
# What the decision says (AbTest.outcome), in staff's words.
WINNER = "{winner} wins: {comparison}; {winner} is sent to the rest."
NO_CLEAR_WINNER = "No clear winner: {comparison}; the first variant is sent."
CHOSEN = "{who} chose {winner}; it is sent to the rest ({then})."
CHOSEN_BEFORE_RESULTS = "no result yet"
NOTHING_MEASURED = "No test message went out, so nothing to compare: the first variant is sent."
TOO_FEW = (
    "Too few leads for a test ({count} to send: {share}% of them is less than one per "
    "subject): the first variant is sent to everyone."
)
# Why a launch is refused: the measure must be counted.
NEEDS_OPENS = (
    "The A/B test compares unique opens, but this campaign does not track opens: tick "
    "“Track opens”, or choose another measure."
)
NEEDS_CLICKS = (
    "The A/B test compares clicks, but this campaign does not track clicks: tick “Track "
    "clicks”, or choose another measure."
)
NEEDS_REPLIES = (
    "The A/B test compares replies, but {account} does not detect replies: turn on reply "
    "detection for it, or choose another measure."
)
# Staff picking a winner by hand.
UNKNOWN_VARIANT = "There is no variant “{variant}” in this test: choose one of {letters}."
ALREADY_DECIDED = "The winner was already chosen: {outcome}"
CAMPAIGN_OVER = "This campaign is {status}: there is nothing left to send."
# n8n's claim while the rest is held: come back then (at most this long, at least that).
HELD = "the A/B test holds the rest until its winner is chosen"
HELD_RETRY_MAX = 300.0
HELD_RETRY_MIN = 30.0


class AbTestError(Exception):
    """A pick that was refused; nothing changed. The message is for staff."""


def launch_problem(campaign: Campaign, step: CampaignStep, account: EmailAccount) -> str:
    """Why a launch with a subject test must be refused ("" when it may go)."""
    if len(step.variants()) < 2:
        return ""
    if campaign.ab_measure == AbMeasure.OPENS and not campaign.track_opens:
        return NEEDS_OPENS
    if campaign.ab_measure == AbMeasure.CLICKS and not campaign.track_clicks:
        return NEEDS_CLICKS
    if campaign.ab_measure == AbMeasure.REPLIES and not (
        account.detect_replies and account.may_read_headers
    ):
        return NEEDS_REPLIES.format(account=account.email_address)
    return ""


def launch_outline(
    campaign: Campaign, step: CampaignStep, to_send: int, finish: datetime.datetime
) -> dict[str, Any] | None:
    """The test as the launch page announces it, and the launch's estimated `finish` moved
    by its wait; None without a test."""
    letters = step.variants()
    if len(letters) < 2:
        return None
    per_variant = to_send * campaign.ab_share // 100 // len(letters)
    return {
        "variants": [(letter, as_read(step.subject_of(letter), campaign)) for letter in letters],
        "finish": finish + datetime.timedelta(hours=campaign.ab_wait_hours),
        "share": campaign.ab_share,
        "per_variant": per_variant,
        "tested": per_variant * len(letters),
        "rest": to_send - per_variant * len(letters),
        "wait_hours": campaign.ab_wait_hours,
        "measure": str(MEASURE_WORDS[AbMeasure(campaign.ab_measure)]),
        # Too small to tell a useful difference: said, with the share that would do.
        "too_small": power.too_small(campaign, per_variant, len(letters), to_send),
    }


def ab_test_create(*, dispatch: Dispatch) -> AbTest | None:
    """The launch's test, when its step has two subjects or more: its settings frozen as
    launched. Created before the audience is queued, which is then queued held."""
    letters = dispatch.snapshot.variants() if dispatch.snapshot else []
    if len(letters) < 2:
        return None
    campaign = dispatch.campaign
    return AbTest.objects.create(
        campaign=campaign,
        dispatch=dispatch,
        variants="".join(letters),
        share=campaign.ab_share,
        wait=datetime.timedelta(hours=campaign.ab_wait_hours),
        measure=campaign.ab_measure,
    )


def group_when_queued(dispatch: Dispatch) -> str:
    """A launch's messages are queued held when it tests subjects; "" otherwise."""
    return AbGroup.HELD if AbTest.objects.filter(dispatch=dispatch).exists() else ""


def ab_test_start(*, dispatch: Dispatch) -> bool:
    """Once the audience is queued: the test share, split evenly between the subjects, is
    released to be sent. The leads are taken in the order of their ids, which are random.
    Runs once per test, however many queuers finish. False when there is no test to start."""
    with transaction.atomic():
        test = AbTest.objects.filter(dispatch=dispatch, started_at__isnull=True).first()
        now = timezone.now()
        if test is None or not AbTest.objects.filter(pk=test.pk, started_at__isnull=True).update(
            started_at=now
        ):
            return False
        held = MessageLog.objects.filter(
            dispatch=dispatch, ab_group=AbGroup.HELD, status=Status.QUEUED
        )
        count = held.count()
        per_variant = count * test.share // 100 // len(test.variants)
        AbTest.objects.filter(pk=test.pk).update(per_variant=per_variant)
        if per_variant == 0:
            outcome = TOO_FEW.format(count=count, share=test.share)
            return _release(test, winner=test.variants[0], outcome=outcome)
        for letter in test.variants:
            # Each UPDATE takes the next block: the previous one is no longer held.
            block = held.order_by("lead_id").values("pk")[:per_variant]
            MessageLog.objects.filter(pk__in=block).update(
                ab_group=AbGroup.TEST, variant=letter, updated_at=now
            )
    return True


def decision_due_at(test: AbTest) -> datetime.datetime | None:
    """When the test may be decided: its wait after the last test message went out; None
    while test messages still wait to be sent."""
    found = messages_tested(test).aggregate(
        waiting=Count("pk", filter=Q(status__in=WAITING)), last=Max("sent_at")
    )
    if found["waiting"] or test.started_at is None:
        return None
    return (found["last"] or test.started_at) + test.wait


def decide_due(now: datetime.datetime | None = None) -> int:
    """Decide every test of an active campaign whose wait is over; how many were decided."""
    now = now or timezone.now()
    decided = 0
    undecided = AbTest.objects.filter(
        decided_at__isnull=True, started_at__isnull=False, campaign__status=Campaign.Status.ACTIVE
    ).select_related("dispatch__snapshot")
    for test in undecided:
        due = decision_due_at(test)
        if due is not None and due <= now and ab_test_decide(test):
            decided += 1
    return decided


def ab_test_decide(test: AbTest) -> bool:
    """The winner by the test's results: the best, if the z-test says it is not chance, else
    the first variant. False when the test was decided meanwhile."""
    results = variant_results(test)
    comparison = compare(results)
    p_value = comparison.p_value if comparison else None
    if comparison is None:
        winner, outcome = test.variants[0], NOTHING_MEASURED
    elif comparison.significant:
        winner = comparison.best.letter
        outcome = WINNER.format(winner=winner, comparison=comparison.words())
    else:
        winner = test.variants[0]
        outcome = NO_CLEAR_WINNER.format(comparison=comparison.words())
    figures = {result.letter: result.counts() for result in results}
    decided = _release(test, winner=winner, outcome=outcome, p_value=p_value, results=figures)
    if decided:
        log.info("A/B test of campaign %s: %s", test.campaign_id, outcome)
    return decided


def check_pick(*, test: AbTest, variant: str) -> None:
    """Raises AbTestError, saying why, when staff may not pick `variant` now."""
    if test.decided_at:
        raise AbTestError(ALREADY_DECIDED.format(outcome=test.outcome))
    if variant not in test.variants:
        letters = ", ".join(test.variants)
        raise AbTestError(UNKNOWN_VARIANT.format(variant=variant, letters=letters))
    campaign = Campaign.objects.get(pk=test.campaign_id)
    if campaign.status not in Campaign.LIVE:
        raise AbTestError(CAMPAIGN_OVER.format(status=campaign.get_status_display().lower()))


def ab_test_pick(*, test: AbTest, variant: str, user: Any) -> None:
    """Staff choose the winner, before the test does: the rest gets it now (still held
    back from sending while the campaign is paused). Raises AbTestError when refused."""
    check_pick(test=test, variant=variant)
    results = variant_results(test)
    comparison: Comparison | None = compare(results)
    who = user.get_full_name() or user.get_username()
    then = comparison.words() if comparison else CHOSEN_BEFORE_RESULTS
    outcome = CHOSEN.format(who=who, winner=variant, then=then)
    figures = {result.letter: result.counts() for result in results}
    if not _release(
        test,
        winner=variant,
        outcome=outcome,
        p_value=comparison.p_value if comparison else None,
        results=figures,
        user=user,
    ):
        test.refresh_from_db()
        raise AbTestError(ALREADY_DECIDED.format(outcome=test.outcome))


def _release(
    test: AbTest,
    *,
    winner: str,
    outcome: str,
    p_value: float | None = None,
    results: dict[str, Any] | None = None,
    user: Any = None,
) -> bool:
    """Record the decision (once: a conditional UPDATE) and give the held messages the
    winner's subject, releasing them, in one UPDATE."""
    now = timezone.now()
    with transaction.atomic():
        if not AbTest.objects.filter(pk=test.pk, decided_at__isnull=True).update(
            decided_at=now,
            winner=winner,
            outcome=outcome[:300],
            p_value=p_value,
            results=results or {},
            chosen_by=user,
        ):
            return False
        MessageLog.objects.filter(dispatch=test.dispatch_id, ab_group=AbGroup.HELD).update(
            ab_group=AbGroup.REST, variant=winner, updated_at=now
        )
    test.refresh_from_db()
    return True


def held_wait(dispatch: Dispatch) -> float | None:
    """Seconds n8n waits before claiming again while the dispatch's rest is held (until the
    decision is due, within bounds); None when nothing of it is held."""
    if not MessageLog.objects.filter(
        dispatch=dispatch, ab_group=AbGroup.HELD, status=Status.QUEUED
    ).exists():
        return None
    test = AbTest.objects.filter(dispatch=dispatch).first()
    due = decision_due_at(test) if test else None
    wait = (due - timezone.now()).total_seconds() if due else HELD_RETRY_MAX
    return min(HELD_RETRY_MAX, max(HELD_RETRY_MIN, wait))
