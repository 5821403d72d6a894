"""A launch queues its audience a chunk at a time, walking the agency's leads by key on the
(organization, id) index: each chunk reads its own leads, never all of the agency's (the
chunks once searched by creation date, filtered by a range of ids and sorted, so that a
million leads took 95 s), and every lead of the audience is queued once, in key order."""

import re

import pytest
from django.db import connection

from campaigns.launching import blasts, queuing
from campaigns.models import MessageLog
from crm.models import Lead
from tests.conftest import insert_leads

LEADS = 50_000
CHUNK = 5_000


@pytest.fixture
def agency_leads(campaign_a, org_b, settings):
    """Tens of thousands of leads in the campaign's agency (of every status, over forty
    cities) and some in another, with the database's statistics, as in production."""
    settings.CAMPAIGN_QUEUE_CHUNK = CHUNK
    insert_leads(org_b, LEADS // 5)
    insert_leads(campaign_a.organization, LEADS)
    return campaign_a


def chunk_plan(dispatch, chunk) -> str:
    sql, params = queuing.chunk_insert(dispatch, chunk)
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        return "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())


@pytest.mark.parametrize(
    "audience_filter",
    [{"status": Lead.Status.values}, {}, {"city": "City 2"}],
    ids=["every status", "the default statuses", "a city"],
)
def test_each_chunk_walks_the_agency_s_leads_by_key_without_a_sort(agency_leads, audience_filter):
    campaign = agency_leads
    campaign.audience_filter = audience_filter
    campaign.save()
    dispatch = blasts.campaign_launch(campaign=campaign)  # the rest is left to the thread
    chunks = list(queuing.chunks(queuing.launch_audience(dispatch), dispatch.organization_id))
    assert len(chunks) == LEADS // CHUNK
    for chunk in (chunks[0], chunks[1], chunks[-1]):
        plan = chunk_plan(dispatch, chunk)
        if connection.vendor == "sqlite":
            assert "SEARCH crm_lead USING INDEX crm_lead_organization_key" in plan, plan
            assert "TEMP B-TREE" not in plan and "SCAN crm_lead" not in plan, plan
        else:
            # PostgreSQL may read the chunk's range from the primary key's index instead
            # (a bitmap, in the table's order) and sort it: the chunk's rows only.
            assert "Seq Scan on crm_lead" not in plan, plan
            assert re.search(r"Index Cond: .*\bid > ", plan) or chunk is chunks[0], plan
            sorted_rows = [int(rows) for rows in re.findall(r"Sort .*rows=(\d+)", plan)]
            assert all(rows <= 2 * CHUNK for rows in sorted_rows), plan


def test_every_lead_of_the_audience_is_queued_once_in_key_order(agency_leads):
    campaign = agency_leads
    campaign.audience_filter = {"status": [Lead.Status.NEW, Lead.Status.QUALIFIED]}
    campaign.save()
    dispatch = blasts.campaign_launch(campaign=campaign)
    queuing.queue_rest(dispatch.pk)
    wanted = Lead.objects.filter(
        organization=campaign.organization, status__in=[Lead.Status.NEW, Lead.Status.QUALIFIED]
    )
    queued = MessageLog.objects.filter(dispatch=dispatch)
    assert queued.count() == wanted.count() == LEADS * 2 // len(Lead.Status.values)
    assert set(queued.values_list("lead", flat=True)) == set(wanted.values_list("pk", flat=True))
    # Chunk after chunk, in the order of the leads' keys.
    by_chunk = queued.order_by("created_at", "lead").values_list("lead", flat=True)
    assert list(by_chunk) == sorted(by_chunk)
    dispatch.refresh_from_db()
    assert (dispatch.queuing, dispatch.total) == (False, queued.count())


def test_an_agency_of_exactly_whole_chunks_and_one_more_lead_is_queued_whole(campaign_a, settings):
    settings.CAMPAIGN_QUEUE_CHUNK = 3
    Lead.objects.bulk_create(
        Lead(organization=campaign_a.organization, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(7)
    )
    dispatch = blasts.campaign_launch(campaign=campaign_a)
    chunks = list(queuing.chunks(queuing.launch_audience(dispatch), dispatch.organization_id))
    assert [chunk.count() for chunk in chunks] == [3, 3, 1]
    queuing.queue_rest(dispatch.pk)
    assert MessageLog.objects.filter(dispatch=dispatch).count() == 7
