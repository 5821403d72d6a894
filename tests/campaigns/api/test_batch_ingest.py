"""A batch of log-message reports is checked and recorded with the same few queries
whatever its size: one read of its messages, one UPDATE (issue 18), and when some failed,
the same four queries to stop those leads (issue 15), and the campaign's count of failures
in a row for the error storm, with its pause check (issue 14)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import MessageLog
from tests.campaigns.conftest import LOG_URL, claim_url, n8n_dispatch, report, signed_call

Status = MessageLog.Status
pytestmark = pytest.mark.usefixtures("n8n_secret")
# Taking the request id (2) in a savepoint (2), the read and the update (2), keeping the
# answer (1), the savepoints of the call's transaction (the request id, the work and the
# answer commit together) and of the batch's (4), stopping the leads whose message failed
# (4), and the campaign's failures in a row with the storm's pause check (2: none when every
# report is `sent` and the count was 0 already).
STOP_QUERIES = 4
STORM_QUERIES = 2
# On PostgreSQL each durable block also turns synchronous_commit on for its transaction
# (outbox/claims.durable: one SET LOCAL for the request id, one for the work).
DURABLE_QUERIES = 2 if connection.vendor == "postgresql" else 0
QUERIES = 11 + STOP_QUERIES + STORM_QUERIES + DURABLE_QUERIES


def reports_for(messages):
    return [
        report(m, provider_message_id=f"gmail-{n}", thread_id=f"thread-{n}")
        if n % 3
        else report(m, "failed", error=f"refused {n}")
        for n, m in enumerate(messages)
    ]


def logged(messages):
    with CaptureQueriesContext(connection) as queries:
        response = signed_call(LOG_URL, {"messages": reports_for(messages)})
    assert response.status_code == 200, response.content[:300]
    return len(queries), response.json()["results"]


def test_the_query_count_does_not_grow_with_the_batch_size(
    campaign_a, django_assert_max_num_queries
):
    launched = n8n_dispatch(campaign_a, 301)
    messages = signed_call(claim_url(launched), {"limit": 301}).json()["messages"]
    one, _ = logged(messages[:1])
    with django_assert_max_num_queries(QUERIES):
        many, results = logged(messages[1:])
    assert one == many
    assert all(result["changed"] for result in results)


def test_a_batch_records_each_report_as_sent(campaign_a):
    launched = n8n_dispatch(campaign_a, 6)
    messages = signed_call(claim_url(launched), {"limit": 6}).json()["messages"]
    logged(messages)
    for n, message in enumerate(messages):
        log = MessageLog.objects.get(pk=message["message_log_id"])
        if n % 3:
            assert (log.status, log.provider_message_id) == (Status.SENT, f"gmail-{n}")
            assert log.thread_id == f"thread-{n}" and log.sent_at.year == 2026
        else:
            assert (log.status, log.error_message) == (Status.FAILED, f"refused {n}")
            assert log.sent_at is None


def test_a_batch_sent_again_changes_nothing_and_costs_no_update(campaign_a):
    launched = n8n_dispatch(campaign_a, 4)
    messages = signed_call(claim_url(launched), {"limit": 4}).json()["messages"]
    first_count, _ = logged(messages)
    before = list(MessageLog.objects.order_by("pk").values_list("updated_at", flat=True))
    again_count, results = logged(messages)  # a new request id: run, not replayed
    assert not any(result["changed"] for result in results)
    assert again_count == first_count - 1 - STOP_QUERIES - STORM_QUERIES
    assert list(MessageLog.objects.order_by("pk").values_list("updated_at", flat=True)) == before


def test_a_batch_of_sent_reports_leaves_a_campaign_without_failures_unwritten(campaign_a):
    launched = n8n_dispatch(campaign_a, 5)
    messages = signed_call(claim_url(launched), {"limit": 5}).json()["messages"]
    with CaptureQueriesContext(connection) as queries:
        response = signed_call(LOG_URL, {"messages": [report(m) for m in messages]})
    assert response.status_code == 200
    assert all(result["changed"] for result in response.json()["results"])
    assert not [q for q in queries if q["sql"].startswith('UPDATE "campaigns_campaign"')]
    assert MessageLog.objects.filter(status=Status.SENT).count() == 5


def test_a_sent_report_after_failures_starts_the_count_over(campaign_a):
    launched = n8n_dispatch(campaign_a, 4)
    messages = signed_call(claim_url(launched), {"limit": 4}).json()["messages"]
    logged(messages[:1])  # one failure
    campaign_a.refresh_from_db()
    assert campaign_a.failure_streak == 1
    signed_call(LOG_URL, {"messages": [report(m) for m in messages[1:]]})
    campaign_a.refresh_from_db()
    assert campaign_a.failure_streak == 0
