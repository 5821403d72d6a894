"""An A/B subject test sent by n8n: its claim goes through the same outbox, so the held rest
is never handed out; while it waits, the claim says why and when to come back; the tick
n8n's schedule calls decides the winner, and the next claims hand out the rest with it."""

import base64
import datetime
from email import message_from_bytes, policy

import pytest
import time_machine

from campaigns.ab_tests import variants
from campaigns.models import AbTest, Dispatch, MessageLog
from tests.campaigns.conftest import LOG_URL, TICK_URL, claim_url, report
from tests.campaigns.conftest import signed_call as call
from tests.conftest import ab_blast

MONDAY_9AM = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
pytestmark = pytest.mark.usefixtures("n8n_secret")


def subject_of(claimed: dict) -> str:
    raw = base64.urlsafe_b64decode(claimed["raw"])
    return str(message_from_bytes(raw, policy=policy.default)["Subject"])


def test_n8n_claims_the_test_then_waits_then_gets_the_rest_with_the_winner(campaign_a):
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        launched = ab_blast(campaign_a, leads=20, share=50)  # 5 per subject, 10 held
        Dispatch.objects.filter(pk=launched.pk).update(driver=Dispatch.Driver.N8N)
        first = call(claim_url(launched), {"limit": 50}).json()
        tested = MessageLog.objects.filter(dispatch=launched, ab_group="test")
        assert {m["message_log_id"] for m in first["messages"]} == {
            str(pk) for pk in tested.values_list("pk", flat=True)
        }
        assert sorted(subject_of(m)[0] for m in first["messages"]) == ["A"] * 5 + ["B"] * 5
        sent_at = MONDAY_9AM.isoformat()
        reports = [report(m, sent_at=sent_at) for m in first["messages"]]
        answer = call(LOG_URL, {"messages": reports})
        assert answer.status_code == 200

        waiting = call(claim_url(launched), {"limit": 50}).json()
        assert waiting["messages"] == [] and waiting["remaining"] == 10
        assert waiting["waiting"] == variants.HELD
        assert waiting["retry_after"] == variants.HELD_RETRY_MAX  # the wait is 4 hours

        traveller.shift(datetime.timedelta(hours=4))
        ticked = call(TICK_URL, {}).json()
        assert ticked["ab_tests_decided"] == 1
        rest = call(claim_url(launched), {"limit": 50}).json()["messages"]
    assert len(rest) == 10 and {subject_of(m)[0] for m in rest} == {"A"}  # no opens: a tie
    assert AbTest.objects.get(campaign=campaign_a).winner == "A"
    every = [m["lead_id"] for m in first["messages"] + rest]
    assert len(every) == len(set(every)) == 20
