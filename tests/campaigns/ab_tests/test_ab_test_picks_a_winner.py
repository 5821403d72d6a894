"""An A/B subject test on frozen time, with a simulated audience whose open rates are known:
the test share goes first, split evenly; the rest waits, held, until the wait after the
last test message is over; then a clear winner goes to the rest, and a close result is
reported as a tie and the first subject is sent. Every lead gets the step once."""

import datetime
from collections import Counter

import time_machine

from campaigns.ab_tests import variants
from campaigns.models import AbTest, MessageLog
from crm.models import Lead
from tests.conftest import ab_blast, send_all, simulate_opens

MONDAY_9AM = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
Status = MessageLog.Status


def launched_and_tested(campaign, opened: dict[str, int], traveller) -> AbTest:
    """500 leads, 80% of them in the test: 200 per subject sent, the 100 others held; the
    opens come a minute later."""
    ab_blast(campaign, leads=500, share=80)
    test = AbTest.objects.get(campaign=campaign)
    assert (test.variants, test.per_variant) == ("AB", 200)
    assert send_all(campaign.email_account) == 400
    messages = MessageLog.objects.filter(campaign=campaign)
    assert Counter(messages.filter(status=Status.SENT).values_list("variant", flat=True)) == {
        "A": 200,
        "B": 200,
    }
    assert messages.filter(status=Status.QUEUED, ab_group="held").count() == 100
    traveller.shift(datetime.timedelta(minutes=1))
    simulate_opens(campaign, opened)
    return test


def each_lead_got_one_message(campaign) -> None:
    sent = MessageLog.objects.filter(campaign=campaign, status__in=["sent", "opened"])
    assert sent.count() == Lead.objects.filter(organization=campaign.organization).count()
    assert max(Counter(sent.values_list("lead", flat=True)).values()) == 1


def test_a_clear_winner_is_chosen_after_the_wait_and_goes_to_the_rest(campaign_a, sandbox_account):
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        test = launched_and_tested(campaign_a, {"A": 20, "B": 80}, traveller)  # 10% vs 40%
        traveller.shift(datetime.timedelta(hours=3, minutes=58))
        assert variants.decide_due() == 0  # four hours after the last test message: not yet
        assert send_all(campaign_a.email_account) == 0
        traveller.shift(datetime.timedelta(minutes=2))
        assert variants.decide_due() == 1
        test.refresh_from_db()
        assert test.outcome == (
            "B wins: B 40% vs A 10% unique opens, p < 0.001; B is sent to the rest."
        )
        assert (
            test.winner == "B"
            and test.p_value < 1e-9
            and test.decided_at == MONDAY_9AM + (datetime.timedelta(hours=4, minutes=1))
        )
        assert test.results["A"] == {"sent": 200, "opened": 20, "clicked": 0, "replied": 0}
        assert variants.decide_due() == 0  # decided once
        assert send_all(campaign_a.email_account) == 100
    rest = MessageLog.objects.filter(campaign=campaign_a, ab_group="rest")
    assert rest.count() == 100 and set(rest.values_list("status", flat=True)) == {"sent"}
    assert all(message.subject == f"B: {message.lead.name}" for message in rest)
    each_lead_got_one_message(campaign_a)


def test_a_close_result_is_reported_as_a_tie_and_the_first_subject_goes_to_the_rest(
    campaign_a, sandbox_account
):
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        test = launched_and_tested(campaign_a, {"A": 38, "B": 42}, traveller)  # 19% vs 21%
        traveller.shift(datetime.timedelta(hours=4))
        assert variants.decide_due() == 1
        assert send_all(campaign_a.email_account) == 100
    test.refresh_from_db()
    # B did better, but a difference this small comes from chance 62 times in 100.
    assert test.outcome == (
        "No clear winner: B 21% vs A 19% unique opens, p = 0.62; the first variant is sent."
    )
    assert test.winner == "A" and round(test.p_value, 4) == 0.6171
    rest = MessageLog.objects.filter(campaign=campaign_a, ab_group="rest")
    assert all(message.subject == f"A: {message.lead.name}" for message in rest)
    each_lead_got_one_message(campaign_a)
