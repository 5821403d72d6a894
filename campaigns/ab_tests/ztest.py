"""The two-proportion z-test that tells an A/B test's winner from chance: are two rates (say
40 opens of 200 against 30 of 200) different, or could the same rate have given both?"""

import math

# 95%: a difference this large comes from chance less than 5 times in 100.
SIGNIFICANCE = 0.05


def two_proportion_p_value(hits_a: int, sent_a: int, hits_b: int, sent_b: int) -> float:
    """The two-sided p-value of the pooled two-proportion z-test: the chance of a
    difference at least this large between the two rates if both came from one rate.
    1.0 when there is nothing to compare (a side with no message, or no difference
    possible: every message or none reached the measure)."""
    if sent_a <= 0 or sent_b <= 0:
        return 1.0
    pooled = (hits_a + hits_b) / (sent_a + sent_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / sent_a + 1 / sent_b))
    if spread == 0:
        return 1.0
    z = (hits_a / sent_a - hits_b / sent_b) / spread
    # Two-sided: the normal distribution's two tails beyond |z|.
    return math.erfc(abs(z) / math.sqrt(2))


def is_significant(p_value: float) -> bool:
    return p_value < SIGNIFICANCE
