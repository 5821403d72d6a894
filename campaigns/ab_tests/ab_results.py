"""What an A/B subject test found: each variant's figures over its test messages, the best
against the runner-up with the z-test's p-value, in the words the page and the export use."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy

from campaigns.ab_tests import ztest
from campaigns.models import (
    ENGAGEMENT,
    WAITING,
    AbGroup,
    AbMeasure,
    AbTest,
    Campaign,
    MessageLog,
    MessageLogQuerySet,
)

# The funnel's stage each measure counts: an open is counted once per message, and only when
# a person opened it (tracking counts image proxies and link scanners apart).
MEASURED = {AbMeasure.OPENS: "opened", AbMeasure.CLICKS: "clicked", AbMeasure.REPLIES: "replied"}
MEASURE_WORDS = {
    AbMeasure.OPENS: gettext_lazy("unique opens"),
    AbMeasure.CLICKS: gettext_lazy("clicks"),
    AbMeasure.REPLIES: gettext_lazy("replies"),
}
COMPARISON = "{best} {best_rate} vs {runner} {runner_rate} {measure}, {p}"


@dataclass(frozen=True)
class VariantResult:
    """One subject's test messages: how many went out, and what came of them."""

    letter: str
    subject: str
    measure: str
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    waiting: int = 0

    @property
    def hits(self) -> int:
        return int(getattr(self, MEASURED[AbMeasure(self.measure)]))

    @property
    def rate(self) -> float:
        return self.hits / self.sent if self.sent else 0.0

    def counts(self) -> dict[str, int]:
        return {stage: getattr(self, stage) for stage in ENGAGEMENT}


@dataclass(frozen=True)
class Comparison:
    """The best variant against the runner-up, as the z-test sees them."""

    best: VariantResult
    runner_up: VariantResult
    p_value: float

    @property
    def significant(self) -> bool:
        return self.best.rate > self.runner_up.rate and ztest.is_significant(self.p_value)

    def words(self) -> str:
        """ "B 40% vs A 10% unique opens, p < 0.001" """
        return COMPARISON.format(
            best=self.best.letter,
            best_rate=percent(self.best.rate),
            runner=self.runner_up.letter,
            runner_rate=percent(self.runner_up.rate),
            measure=MEASURE_WORDS[AbMeasure(self.best.measure)],
            p=p_words(self.p_value),
        )


def percent(rate: float) -> str:
    return f"{round(100 * rate, 1):g}%"


def p_words(p_value: float) -> str:
    """ "p < 0.001", "p = 0.049" (three decimals near the 0.05 line), "p = 0.41"."""
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.3f}" if p_value < 0.1 else f"p = {p_value:.2f}"


def as_read(subject: str, campaign: Campaign) -> str:
    """The subject in its own words, merge fields as chips (content/readable.py), money and
    dates as its leads read them: the page shows neither template code nor a sample lead's
    values."""
    return campaign.as_written(subject) or subject


def messages_tested(ab_test: AbTest) -> MessageLogQuerySet:
    return MessageLog.objects.filter(
        dispatch=ab_test.dispatch_id, ab_group=AbGroup.TEST, is_test=False
    )


def variant_results(ab_test: AbTest) -> list[VariantResult]:
    """Each variant's test messages counted, in one grouped query, in the order A to D."""
    rows = {
        row.pop("variant"): row
        for row in messages_tested(ab_test).funnel_by(
            "variant", stages=ENGAGEMENT, waiting=Count("pk", filter=Q(status__in=WAITING))
        )
    }
    snapshot = ab_test.dispatch.snapshot
    return [
        VariantResult(
            letter=letter,
            subject=snapshot.subject_of(letter) if snapshot else "",
            measure=ab_test.measure,
            **rows.get(letter, {}),
        )
        for letter in ab_test.variants
    ]


def compare(results: list[VariantResult]) -> Comparison | None:
    """The best rate against the next best (on a tie, the earlier letter ranks first); None
    before any test message went out."""
    if len(results) < 2 or not any(result.sent for result in results):
        return None
    best, runner_up = sorted(results, key=lambda result: (-result.rate, result.letter))[:2]
    p_value = ztest.two_proportion_p_value(best.hits, best.sent, runner_up.hits, runner_up.sent)
    return Comparison(best, runner_up, p_value)


def results_by_campaign(campaigns: QuerySet[Campaign]) -> dict[Any, dict[str, dict[str, int]]]:
    """{campaign id: {letter: counts}} of the test messages of these campaigns' A/B tests,
    in one grouped query (the campaign results export)."""
    rows = MessageLog.objects.filter(
        campaign__in=campaigns.values("pk"), ab_group=AbGroup.TEST, is_test=False
    ).funnel_by("campaign", "variant", stages=ENGAGEMENT)
    found: dict[Any, dict[str, dict[str, int]]] = {}
    for row in rows:
        found.setdefault(row.pop("campaign"), {})[row.pop("variant")] = row
    return found
