"""After a launch has queued an audience above one chunk, PostgreSQL's statistics of the
message log are taken again (ANALYZE), once the queuing has committed: the reports that
follow a large launch otherwise cost 3-4 times the CPU until autovacuum comes by."""

import pytest
from django.db import connection

from campaigns.launching import blasts
from campaigns.models import Dispatch, MessageLog
from crm.models import Lead
from tests.conftest import wait_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's statistics (pg_stat_user_tables)"
)


def last_analyzed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s",
            [MessageLog._meta.db_table],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_message_log_is_analysed_once_a_launch_above_one_chunk_is_queued(campaign_a, settings):
    settings.CAMPAIGN_QUEUE_CHUNK = 10
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(25)
    )
    before = last_analyzed()
    launched = blasts.campaign_launch(campaign=campaign_a)  # committed: the thread queues
    wait_for(lambda: not Dispatch.objects.get(pk=launched.pk).queuing, seconds=30)
    wait_for(lambda: last_analyzed() != before, seconds=30)
    analysed = last_analyzed()
    assert analysed is not None and (before is None or analysed > before)
    assert MessageLog.objects.filter(dispatch=launched).count() == 25
