"""The A/B subject test on its campaign's page: each subject's results, the p-value, and
where the test stands or what it decided, refreshed with the page's live figures."""

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.ab_tests import variants
from campaigns.ab_tests.ab_results import (
    MEASURE_WORDS,
    VariantResult,
    as_read,
    compare,
    p_words,
    percent,
    variant_results,
)
from campaigns.models import ENGAGEMENT, WAITING, AbGroup, AbMeasure, AbTest, Campaign, MessageLog
from crm.site.timezones import spoken_time

SETTINGS_HELP = _(
    "Used when the blast's step has two subjects or more (subject B, C, D beside its "
    "subject): the test share is split evenly between them and sent first; after the wait, "
    "the subject with the best rate goes to the rest, or the first one when the difference "
    "could be chance."
)
QUEUING = _("Queuing the audience: the test starts once it is queued.")
TESTING = _(
    "Testing: {waiting} of the {total} test messages still to send. The winner is chosen "
    "{hours} h after the last one goes out."
)
WAITING_FOR_RESULTS = _("Waiting for the results: the winner is chosen {when}.")
DUE_NOW = _("now (when the sender next runs)")
PAUSED = _(
    "Paused: the test and the rest are held. The winner is chosen once you resume and the "
    "wait is over."
)
CANCELLED = _("Cancelled before a winner was chosen: the rest was not sent.")
DECIDED = _("{outcome} Decided {when}.")
# {share} is the share with its per cent sign ("20%"), so that no "% o" reads as a format.
SETTINGS = _(
    "{share} of the audience, {per_variant} per subject; the winner, on {measure}, is chosen "
    "{hours} h after the last test message"
)
REST = _("The rest: {winner}")
REST_HELD = _("The rest (held)")


def ab_test_live(campaign: Campaign) -> dict[str, Any] | None:
    """The test's part of the campaign page's live figures; None without a test."""
    test = (
        AbTest.objects.filter(campaign=campaign)
        .select_related("dispatch__snapshot", "chosen_by")
        .first()
    )
    if test is None:
        return None
    results = variant_results(test)
    comparison = compare(results)
    rest = MessageLog.objects.filter(
        dispatch=test.dispatch_id, ab_group__in=[AbGroup.HELD, AbGroup.REST], is_test=False
    ).funnel(*ENGAGEMENT, waiting=Count("pk", filter=Q(status__in=WAITING)))
    state, line = _where(campaign, test, results)
    return {
        "state": state,
        "line": line,
        "settings": SETTINGS.format(
            share=f"{test.share}%",
            per_variant=test.per_variant,
            measure=str(MEASURE_WORDS[AbMeasure(test.measure)]),
            hours=f"{test.wait.total_seconds() / 3600:g}",
        ),
        "measure": str(MEASURE_WORDS[AbMeasure(test.measure)]),
        "rows": [_row(result, test, campaign) for result in results],
        "rest": {
            "label": str(REST.format(winner=test.winner) if test.winner else REST_HELD),
            **rest,
            "rate": "",
        },
        "comparison": comparison.words() if comparison else "",
        "p_value": p_words(comparison.p_value) if comparison else "",
        "may_pick": state in ("testing", "waiting", "paused"),
    }


def _row(result: VariantResult, test: AbTest, campaign: Campaign) -> dict[str, Any]:
    return {
        "letter": result.letter,
        "subject": as_read(result.subject, campaign),
        **result.counts(),
        "waiting": result.waiting,
        "rate": percent(result.rate) if result.sent else "",
        "winner": result.letter == test.winner,
    }


def _where(campaign: Campaign, test: AbTest, results: list[VariantResult]) -> tuple[str, str]:
    """The test's state, and the line that says it."""
    if test.decided_at:
        return "decided", DECIDED.format(outcome=test.outcome, when=spoken_time(test.decided_at))
    if campaign.status == Campaign.Status.COMPLETED:
        return "cancelled", str(CANCELLED)
    if campaign.status == Campaign.Status.PAUSED:
        return "paused", str(PAUSED)
    if test.started_at is None:
        return "queuing", str(QUEUING)
    due = variants.decision_due_at(test)
    if due is None:
        waiting = sum(result.waiting for result in results)
        hours = round(test.wait.total_seconds() / 3600, 1)
        total = test.per_variant * len(test.variants)
        return "testing", TESTING.format(waiting=waiting, total=total, hours=f"{hours:g}")
    when = spoken_time(due) if due > timezone.now() else str(DUE_NOW)
    return "waiting", WAITING_FOR_RESULTS.format(when=when)
