"""The bench's table: each round's ratio, their median and range, ours against the limit,
and every row's digest compared (a row or a field on one side only is a difference)."""

from bench import checks
from bench.run import plan, row


def test_a_ratio_is_the_median_of_the_rounds_ratios_with_their_range():
    measured = {
        "ours": [{"value": 1.0}, {"value": 2.0}, {"value": 1.0}],
        "peer": [{"value": 3.0}, {"value": 3.0}, {"value": 5.0}],
        "limit": [{"value": 0.5}, {"value": 0.5}, {"value": 0.5}],
    }
    line = row("launch_blast", "s", 100, measured)
    assert (line["ratio"], line["ratio_low"], line["ratio_high"]) == (3.0, 1.5, 5.0)
    assert line["of_limit"] == [0.5, 0.25, 0.5]  # the limit's time / ours: 1.0 is the limit


def test_a_rate_above_the_peers_is_a_ratio_above_one():
    measured = {"ours": [{"value": 300.0}], "peer": [{"value": 100.0}]}
    assert row("csv_import", "rows/s", 100, measured)["ratio"] == 3.0


def test_contenders_alternate_and_second_peers_run_in_the_first_round_only():
    jobs = plan(["launch_blast"], {"launch_blast": 10}, rounds=3)
    order = [(job.round, job.label) for job in jobs]
    assert order == [
        (0, "ours"),
        (0, "peer"),
        (0, "limit"),
        (0, "rendering"),
        (0, "naive"),
        (1, "peer"),
        (1, "ours"),
        (1, "limit"),
        (2, "ours"),
        (2, "peer"),
        (2, "limit"),
    ]


def test_a_row_on_one_side_only_or_with_other_fields_is_a_difference():
    ours = {"counts": {}, "sample": {}, "digests": {"a": "1", "b": "2"}}
    theirs = {"counts": {}, "sample": {}, "digests": {"a": "1", "b": "3", "c": "4"}}
    assert checks.differences(ours, theirs) == [
        "row b: its fields differ (every row's digest)",
        "row c: theirs only (every row's digest)",
    ]


def test_a_field_present_on_one_side_only_is_a_difference():
    ours = {"counts": {}, "sample": {"a": {"name": "A"}}}
    theirs = {"counts": {}, "sample": {"a": {"name": "A", "extra": 1}}}
    assert checks.differences(ours, theirs) == ["a extra: ours '(none)', theirs 1"]
