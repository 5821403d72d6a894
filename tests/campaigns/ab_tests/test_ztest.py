"""The two-proportion z-test against values worked out by hand and read from a normal table."""

import math

import pytest

from campaigns.ab_tests.ztest import is_significant, two_proportion_p_value


def test_a_difference_of_half_a_standard_error_is_chance_62_times_in_100():
    # 42 of 200 against 38 of 200: pooled 80/400 = 0.2, standard error
    # sqrt(0.2 x 0.8 x (1/200 + 1/200)) = 0.04, z = (0.21 - 0.19) / 0.04 = 0.5;
    # the table gives P(Z > 0.5) = 0.30854, both tails 0.61708.
    assert two_proportion_p_value(42, 200, 38, 200) == pytest.approx(0.61708, abs=1e-5)


def test_thirty_against_twenty_percent_of_two_hundred_is_significant():
    # pooled 0.25, standard error sqrt(0.25 x 0.75 x 0.01) = 0.043301, z = 0.1 / 0.043301 =
    # 2.3094; the table gives P(Z > 2.31) = 0.01044, both tails 0.0209.
    p_value = two_proportion_p_value(60, 200, 40, 200)
    assert p_value == pytest.approx(0.0209, abs=1e-4)
    assert is_significant(p_value)


def test_the_95_percent_line_is_at_z_1_96():
    # Rates chosen so that z is exactly 1.96: p is then 0.05, the edge of significance.
    spread = math.sqrt(0.5 * 0.5 * (2 / 10_000))
    hits = round((0.5 + 1.96 * spread / 2) * 10_000)
    p_value = two_proportion_p_value(hits, 10_000, 10_000 - hits, 10_000)
    assert p_value == pytest.approx(0.05, abs=0.002)


def test_it_is_symmetric_and_forty_against_ten_percent_is_far_beyond_chance():
    assert two_proportion_p_value(80, 200, 20, 200) == two_proportion_p_value(20, 200, 80, 200)
    # z = 0.3 / sqrt(0.25 x 0.75 x 0.01) = 6.93
    assert two_proportion_p_value(80, 200, 20, 200) == pytest.approx(4.26e-12, rel=0.01)
    assert not is_significant(two_proportion_p_value(42, 200, 38, 200))


@pytest.mark.parametrize(
    "counts", [(0, 0, 0, 10), (0, 10, 0, 0), (0, 100, 0, 100), (100, 100, 50, 50)]
)
def test_nothing_to_compare_gives_a_p_value_of_one(counts):
    # No message on a side, or no difference possible (none or all reached the measure).
    assert two_proportion_p_value(*counts) == 1.0
