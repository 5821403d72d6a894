"""Queuing a launched blast's audience: one queued message per lead, written by the database
itself (INSERT ... SELECT over the audience's query), a chunk of leads at a time.

Why this way (issue 14): rendering and storing 100,000 messages took 38 s before the launch
page could answer. Messages are now rendered when they are claimed (campaigns.outbox.claims), from
the step's frozen snapshot, since sending goes at 150 a minute per account anyway; what is
queued is a short row per lead, which the database writes without Python touching each
lead. An audience of one chunk (CAMPAIGN_QUEUE_CHUNK leads) is queued before the launch
page answers; a larger one is queued by a thread once the launch is committed, while
sending has begun, and the campaign page shows the progress. A sender restarts a queuing
that a stopped web process left unfinished. A chunk makes a message only for leads who
have none for the step (the unique (step, lead) index passes the others over: ON
CONFLICT DO NOTHING), so two queuers at once do no harm.

The audience is the one at launch: leads added later are not in it. A lead who changes
before their message is claimed gets it as they are then (name, address, property); one
who opts out, whose address is suppressed or whose consent runs out by then is skipped
(see README).
"""

import datetime
import logging
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from campaigns.ab_tests import variants
from campaigns.audiences import audience
from campaigns.models import Dispatch, MessageLog
from campaigns.outbox import senders
from crm.models import Lead
from crm.site.bulk import column_of

log = logging.getLogger(__name__)
Status = MessageLog.Status
# A queuing that has not finished this long after its launch lost its thread (the web
# process stopped): a sender takes it over.
ORPHANED_AFTER = 120
# A message's id: the time in milliseconds, then 80 random bits. Rows inserted in the order
# of their leads then land at the end of the primary key's index, and in order in the
# indexes keyed by lead, instead of at random places in all of them: twice as fast at
# 100,000 messages. (Django keeps SQLite's UUIDs as 32 hex digits.)
NEW_ID = {
    "postgresql": "(lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint), 12, "
    "'0') || substr(replace(gen_random_uuid()::text, '-', ''), 13))::uuid",
    "sqlite": "printf('%%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) "
    "|| lower(hex(randomblob(10)))",
}


def launch_audience(dispatch: Dispatch) -> QuerySet[Lead]:
    """The dispatch's campaign's audience as at its launch."""
    return audience.audience_of(dispatch.campaign).filter(created_at__lte=dispatch.created_at)


def chunks(leads: QuerySet[Lead], organization_id: Any) -> Iterator[QuerySet[Lead]]:
    """`leads` (of the organization) a chunk at a time, walking the organization's leads by
    key on the (organization, id) index: a chunk is the next CAMPAIGN_QUEUE_CHUNK of them
    after the last chunk's, `leads`' own filters applied within it. Each chunk reads its own
    leads only, so queuing takes the same time a chunk whatever the agency's size (ranges
    found by a filter's index instead read every lead of the agency for each chunk)."""
    size = settings.CAMPAIGN_QUEUE_CHUNK
    agency = Lead.objects.filter(organization=organization_id).order_by("pk")
    # Every chunk is a range closed at both ends: SQLite, without statistics, then prefers
    # the (organization, id) index to any other the audience's filters could use.
    end = agency.values_list("pk", flat=True).last()
    after: Any = None
    while end is not None:
        window = agency if after is None else agency.filter(pk__gt=after)
        last = next(iter(window.values_list("pk", flat=True)[size - 1 : size]), end)
        chunk = leads.filter(pk__lte=last)
        yield chunk if after is None else chunk.filter(pk__gt=after)
        if last == end:
            return
        after = last


def queue(dispatch: Dispatch, leads: QuerySet[Lead]) -> None:
    """Queue `leads` (`dispatch.total` of them) for the dispatch: in one statement when
    they fit one chunk, else chunk by chunk."""
    if fits_one_chunk(dispatch):
        queue_chunk(dispatch, leads)
    else:
        for chunk in chunks(leads, dispatch.organization_id):
            queue_chunk(dispatch, chunk)
    finish_queuing(dispatch)


def fits_one_chunk(dispatch: Dispatch) -> bool:
    """Whether the launch itself queues the audience (one statement), not a thread."""
    return dispatch.total <= settings.CAMPAIGN_QUEUE_CHUNK


def queue_chunk(dispatch: Dispatch, leads: QuerySet[Lead]) -> None:
    """One INSERT ... SELECT: a queued message (or a skipped one, for an opted-out lead)
    for each of `leads` who has none for the step yet."""
    sql, params = chunk_insert(dispatch, leads)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def chunk_insert(dispatch: Dispatch, leads: QuerySet[Lead]) -> tuple[str, tuple[Any, ...]]:
    """The INSERT ... SELECT of queue_chunk, and its parameters."""
    now = timezone.now()
    campaign = dispatch.campaign
    reasons = audience.skip_reasons(campaign, now)
    texts = audience.skip_texts(campaign)
    # A lead skipped keeps why: the first reason that applies (opted out, no consent...).
    skipped = [When(q, then=Value(texts[name])) for name, q in reasons.items()]
    chosen: dict[str, Any] = {
        "id": RawSQL(NEW_ID[connection.vendor], []),
        "organization": dispatch.organization_id,
        "campaign": dispatch.campaign_id,
        "campaign_step": dispatch.campaign_step_id,
        "lead": F("pk"),
        "dispatch": dispatch.pk,
        # The dispatch's account, or each lead's agent's (campaigns/outbox/senders.py).
        "email_account": senders.Senders(dispatch.campaign, dispatch.email_account).column(),
        "snapshot": dispatch.snapshot_id,
        "to_email": F("email"),
        "status": Case(
            *(When(q, then=Value(Status.SKIPPED)) for q in reasons.values()),
            default=Value(Status.QUEUED),
        ),
        "error_message": Case(*skipped, default=Value("")),
        # A subject test's messages wait held until the audience is queued (ab_tests).
        "ab_group": variants.group_when_queued(dispatch),
        "created_at": now,
        "updated_at": now,
    }
    columns, values = [], {}
    for field in MessageLog._meta.concrete_fields:
        if field.name in chosen:
            value = chosen[field.name]
        elif field.null:
            continue
        else:
            value = field.get_default()
        if not hasattr(value, "resolve_expression"):
            value = Value(value, output_field=field)
        columns.append(connection.ops.quote_name(column_of(field)))
        values[f"message_{column_of(field)}"] = value
    # A lead who has a message for the step already is passed over by the unique (step,
    # lead) index itself: a NOT EXISTS would cost a scan of the step's messages per chunk
    # wherever PostgreSQL's statistics still say the table is empty.
    select = leads.order_by("pk").annotate(**values).values_list(*values)
    sql, params = select.query.sql_with_params()
    table = connection.ops.quote_name(MessageLog._meta.db_table)
    return f"INSERT INTO {table} ({', '.join(columns)}) {sql} ON CONFLICT DO NOTHING", params


def finish_queuing(dispatch: Dispatch) -> None:
    """The audience is queued: the dispatch's counts become exact, and it may finish. After
    an audience above one chunk, the message log's statistics are taken once the queuing
    has committed (`analyze_message_log`)."""
    messages = MessageLog.objects.filter(dispatch=dispatch)
    Dispatch.objects.filter(pk=dispatch.pk).update(
        queuing=False,
        total=messages.count(),
        skipped=messages.filter(status=Status.SKIPPED).count(),
    )
    variants.ab_test_start(dispatch=dispatch)
    if not fits_one_chunk(dispatch):
        transaction.on_commit(analyze_message_log)


def analyze_message_log() -> None:
    """PostgreSQL's statistics of the message log taken again (ANALYZE), after a launch
    queued thousands of rows. Until autovacuum comes by, the planner sees the table as it
    was before the launch, and the reports that follow (n8n's batches, each a locked read
    and an UPDATE ... FROM VALUES) took 3-4 times the CPU. Not on SQLite: its planner keeps
    no statistics unless ANALYZE writes some, and the indexes here are chosen for it
    without. A failure is logged: the statistics only wait for autovacuum."""
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(MessageLog._meta.db_table)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    except DatabaseError:
        log.exception("ANALYZE of the message log after a launch failed")


def queue_rest(dispatch_id: Any) -> None:
    """Queue what the launch left, a chunk per transaction (senders claim in between); stop
    when the dispatch was cancelled meanwhile."""
    dispatch = Dispatch.objects.select_related("campaign__organization").get(pk=dispatch_id)
    leads = launch_audience(dispatch)
    for chunk in chunks(leads, dispatch.organization_id):
        with transaction.atomic():
            if Dispatch.objects.filter(pk=dispatch.pk, status=Dispatch.Status.CANCELLED).exists():
                MessageLog.objects.filter(dispatch=dispatch, status=Status.QUEUED).update(
                    status=Status.CANCELLED, updated_at=timezone.now()
                )
                Dispatch.objects.filter(pk=dispatch.pk).update(queuing=False)
                return
            queue_chunk(dispatch, chunk)
    finish_queuing(dispatch)


def _queue_in_thread(dispatch_id: Any) -> None:
    close_old_connections()
    try:
        queue_rest(dispatch_id)
    except Exception:  # nobody to tell in a thread: logged, and a sender takes it over
        log.exception("queuing dispatch %s stopped", dispatch_id)
    finally:
        connection.close()


def queue_in_background(dispatch_id: Any) -> threading.Thread:
    """Carry on queuing in a thread of this process (once the launch is committed)."""
    thread = threading.Thread(
        target=_queue_in_thread, args=(dispatch_id,), name=f"queue-{dispatch_id}", daemon=True
    )
    thread.start()
    return thread


def take_over_orphans(now: datetime.datetime | None = None) -> int:
    """Finish queuings whose thread died with its process; returns how many were taken. Two
    takers at once do no harm: a lead already queued for the step is passed over."""
    since = (now or timezone.now()) - datetime.timedelta(seconds=ORPHANED_AFTER)
    orphans = list(
        Dispatch.objects.filter(queuing=True, created_at__lt=since).values_list("pk", flat=True)
    )
    for dispatch_id in orphans:
        queue_rest(dispatch_id)
    return len(orphans)
