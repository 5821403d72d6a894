"""The claim stays as fast with 100,000 messages queued as with ten: both claims (the
direct sender's, by account, and n8n's, by dispatch) read the oldest waiting messages in
their order from an index made for them, never scanning the message log nor sorting the
queue (it once sorted each launch chunk of 5,000 rows sharing one created_at: 73 ms a
claim became 360 ms at 100,000 queued on PostgreSQL)."""

import pytest
from django.db import connection

from campaigns.launching import blasts, queuing
from campaigns.models import Campaign, Dispatch, MessageLog
from campaigns.outbox import claims
from crm.models import Lead
from tests.conftest import insert_leads

QUEUED = 100_000

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner of PostgreSQL, with statistics"
)


@pytest.fixture
def long_queue(campaign_a):
    """A blast launched to 100,000 leads, queued chunk by chunk as the thread does, then
    the database's statistics taken, as autovacuum would."""
    insert_leads(campaign_a.organization, QUEUED)
    campaign_a.audience_filter = {"status": Lead.Status.values}  # clients too: all of them
    campaign_a.save()
    dispatch = blasts.campaign_launch(campaign=campaign_a)
    queuing.queue_rest(dispatch.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    dispatch.refresh_from_db()
    return dispatch


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute(*_explained(queryset))
        return "\n".join(row[0] for row in cursor.fetchall())


def _explained(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return "EXPLAIN " + sql, params


def assert_read_in_order(text: str, index: str) -> None:
    assert f"Index Scan using {index} on campaigns_messagelog" in text, text
    assert "Seq Scan on campaigns_messagelog" not in text, text
    assert "Sort" not in text, text  # neither a sort nor an incremental one


def test_the_direct_sender_s_claim_reads_the_account_s_oldest_messages_from_its_index(
    long_queue,
):
    account = long_queue.email_account
    assert MessageLog.objects.filter(status=MessageLog.Status.QUEUED).count() == QUEUED
    queued = claims.account_queue(account)
    assert_read_in_order(plan(claims.oldest_first(queued)[:1]), "campaigns_claim_by_account")
    waiting = queued.order_by("created_at", "pk").values_list("pk", flat=True)[:1]
    assert_read_in_order(plan(waiting), "campaigns_claim_by_account")
    claimed = claims.claim_for_account(account)
    assert len(claimed.messages) == 1


def test_n8n_s_claim_reads_the_dispatch_s_oldest_messages_from_an_index(long_queue):
    Dispatch.objects.filter(pk=long_queue.pk).update(driver=Dispatch.Driver.N8N)
    queued = claims.dispatch_queue(long_queue).filter(email_account=long_queue.email_account)
    text = plan(claims.oldest_first(queued)[:50])
    assert "Seq Scan on campaigns_messagelog" not in text and "Sort" not in text, text
    assert "campaigns_claim_by_" in text, text
    claimed = claims.claim_for_dispatch(long_queue, 50)
    assert claimed.messages
    assert Campaign.objects.get(pk=long_queue.campaign_id).status == Campaign.Status.ACTIVE
