"""Whether an A/B test is large enough to tell anything, said before launch: the standard
power calculation of the two-proportion test the decision uses (ztest.py), at 95%
significance and 80% power. From the leads each subject gets and the measure's usual rate
(the agency's own over its recent sends, or a typical rate before it has enough), the
smallest rate the other subject must reach for the test to notice it; when that is further
than a useful difference (half the usual rate again), the launch page says so, and which
test share would do.

Sample size per group to tell p1 from p2 (Fleiss, without continuity correction):
    n = (z_a * sqrt(2 p (1 - p)) + z_b * sqrt(p1 (1 - p1) + p2 (1 - p2)))² / (p1 - p2)²
with p the mean of p1 and p2, z_a = 1.96 (two-sided 95%) and z_b = 0.84 (80%).
"""

import datetime
import math
from dataclasses import dataclass
from statistics import NormalDist

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.ab_tests.ab_results import MEASURED
from campaigns.ab_tests.ztest import SIGNIFICANCE
from campaigns.models import SENT_OR_LATER, AbMeasure, Campaign, MessageLog

POWER = 0.80
Z_ALPHA = NormalDist().inv_cdf(1 - SIGNIFICANCE / 2)
Z_BETA = NormalDist().inv_cdf(POWER)
# Before an agency has sent enough to know its own rate: typical real-estate email rates
# (Mailchimp's benchmarks: opens about 20%, clicks about 2%; replies to a listing blast are
# rarer still).
TYPICAL_RATES = {AbMeasure.OPENS: 0.20, AbMeasure.CLICKS: 0.02, AbMeasure.REPLIES: 0.01}
HISTORY = datetime.timedelta(days=90)
ENOUGH_HISTORY = 200  # messages sent before the agency's own rate is the usual one
# A difference worth testing: one subject doing half as well again as the usual rate.
USEFUL_LIFT = 1.5
TOO_SMALL = _(
    "{n} leads per subject can only tell a {usual} {measure} rate from {detectable} or more: "
    "raise the test share to {share}% ({needed} leads per subject) to tell {usual} from "
    "{target}."
)
TOO_SMALL_EVEN_ALL = _(
    "{n} leads per subject can only tell a {usual} {measure} rate from {detectable} or more, "
    "and even the whole audience ({all} leads per subject) could not tell {usual} from "
    "{target}: the test will most likely end in a tie, and subject A goes to the rest."
)
NOTHING_TO_TELL = _(
    "{n} leads per subject cannot tell any {measure} rate from a {usual} one: raise the test "
    "share to {share}% ({needed} leads per subject) to tell {usual} from {target}."
)
USUAL_FROM = {
    True: _("{usual} is your agency's {measure} rate over the last 90 days."),
    False: _(
        "{usual} is a typical {measure} rate: your agency has not sent enough yet to know its own."
    ),
}
MEASURE_NAMES = {
    AbMeasure.OPENS: _("open"),
    AbMeasure.CLICKS: _("click"),
    AbMeasure.REPLIES: _("reply"),
}


def leads_needed(p1: float, p2: float) -> int:
    """Leads per subject for the test to tell rate p1 from p2 (80% of the time)."""
    if p1 == p2:
        return math.inf  # type: ignore[return-value]
    mean = (p1 + p2) / 2
    top = Z_ALPHA * math.sqrt(2 * mean * (1 - mean)) + Z_BETA * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2)
    )
    return math.ceil(top**2 / (p1 - p2) ** 2)


def detectable(p1: float, n: int) -> float | None:
    """The smallest rate above p1 that n leads per subject tell from it; None when not even
    every lead reaching the measure would."""
    if n <= 0 or leads_needed(p1, 1.0) > n:
        return None
    low, high = p1, 1.0
    for _step in range(50):  # bisection: the needed leads fall as the rates move apart
        middle = (low + high) / 2
        if leads_needed(p1, middle) <= n:
            high = middle
        else:
            low = middle
    return high


@dataclass(frozen=True)
class Usual:
    rate: float
    own: bool  # the agency's own rate, or a typical one


def usual_rate(campaign: Campaign, now: datetime.datetime | None = None) -> Usual:
    """The agency's rate on the test's measure over its recent sends (of campaigns that
    tracked it), or a typical one before it has sent enough."""
    measure = AbMeasure(campaign.ab_measure)
    now = now or timezone.now()
    sent = MessageLog.objects.filter(
        organization=campaign.organization_id,
        is_test=False,
        status__in=SENT_OR_LATER,
        sent_at__gte=now - HISTORY,
    )
    if measure == AbMeasure.OPENS:
        sent = sent.filter(campaign__track_opens=True)
    elif measure == AbMeasure.CLICKS:
        sent = sent.filter(campaign__track_clicks=True)
    counts = sent.aggregate(
        sent=Count("pk"), hits=Count("pk", filter=Q(**{f"{MEASURED[measure]}_at__isnull": False}))
    )
    if counts["sent"] >= ENOUGH_HISTORY and counts["hits"]:
        return Usual(counts["hits"] / counts["sent"], own=True)
    return Usual(TYPICAL_RATES[measure], own=False)


def percent(rate: float) -> str:
    """ "20%", "2.5%", "0.8%": whole percents, a decimal below ten."""
    value = 100 * rate
    return f"{value:.0f}%" if value >= 10 or value == round(value) else f"{value:.1f}%"


def too_small(campaign: Campaign, per_variant: int, variants: int, audience: int) -> str:
    """What the launch page says when the test cannot tell a useful difference ("" when it
    can): the smallest difference it can, and the test share that would do."""
    if per_variant <= 0 or variants < 2:
        return ""
    usual = usual_rate(campaign)
    p1 = usual.rate
    target = min(p1 * USEFUL_LIFT, 1.0)
    found = detectable(p1, per_variant)
    if found is not None and found <= target:
        return ""
    needed = leads_needed(p1, target)
    measure = MEASURE_NAMES[AbMeasure(campaign.ab_measure)]
    words = {
        "n": f"{per_variant:,}",
        "usual": percent(p1),
        "measure": measure,
        "target": percent(target),
        "needed": f"{needed:,}",
        "all": f"{audience // variants:,}",
    }
    share = math.ceil(100 * needed * variants / audience) if audience else 101
    if share > 100:
        text = TOO_SMALL_EVEN_ALL
    elif found is None:
        text = NOTHING_TO_TELL
    else:
        text = TOO_SMALL
    said = str(text).format(**words, detectable=percent(found or 1.0), share=share)
    return f"{said} {str(USUAL_FROM[usual.own]).format(**words)}"
