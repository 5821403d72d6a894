"""The admin on PostgreSQL, at a typical agency's size (5,000 leads) and at a million leads.
One data set (leads, five messages per lead over six months, the running sequences'
enrollments) is generated inside the database, then six pages are loaded as an agency's
staff member through Django's test client, ours and the peer's in turn. The figure is the
CPU time of a load, this process's and its PostgreSQL backend's: the work itself, which a
busy neighbour on a shared machine does not inflate; the wall-clock medians are noted.

The fair peers (the headline): for the three lists, the same ModelAdmin with Django's
default paginator and the same `show_full_result_count` as ours (off); for the home, the
same page counting its 30 days live on every view instead of reading the sums
(campaigns/reporting/stats.py), while ours is charged its share of the sums' refresh (the
refresh's CPU every five minutes, amortised over the views at one view a second: 300
views); for a campaign's page, the same page with its progress as one aggregate and its
funnel by conditional aggregation (one query for every step and figure); for a lead's page,
the same page with Django's default inline querysets. Second peers: the lists with the
"N total" count on (`show_full_result_count = True`), the funnel as one COUNT per step and
figure. Before timing, each page's rows and figures are compared with every peer's: a
difference fails the run. Contenders load in turn, the order rotating every round.
"""

import gc
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.test import Client, override_settings
from django.test.utils import setup_test_environment, teardown_test_environment
from django.urls import reverse
from django.utils import timezone

LOADS = 5  # loads per page and contender at full size
SMALL_LOADS = 40  # and for small data sets, whose pages differ by a millisecond or two
MESSAGES_PER_LEAD = 5
REFRESH_VIEWS = 300  # the home's views between two refreshes of its sums: one a second
DAYS = 180


BIG_TABLES = ("crm_lead", "campaigns_messagelog")


@contextmanager
def _indexes_rebuilt(cursor: Any, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the tables' secondary indexes and unique constraints for a bulk insert, and
    build them again afterwards: one sort per index instead of millions of insertions."""
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = ANY(%s::regclass[]) AND contype = 'u'
        """,
        [list(tables)],
    )
    constraints = cursor.fetchall()
    for table, name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    cursor.execute("SET maintenance_work_mem = '1GB'")
    for _, definition in indexes:
        cursor.execute(definition)
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def generate(leads: int) -> dict[str, Any]:
    """Leads and messages made by SQL (generate_series), so a million rows take seconds."""
    from campaigns.models import Campaign, CampaignStep, EmailAccount
    from crm.members import membership_create
    from crm.models import Organization

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(
        name="Bench Realty", slug="bench", postal_address="1 Main St"
    )
    other = Organization.objects.create(name="Other", slug="other", postal_address="2 Side St")
    staff = User.objects.create_user("staff", password="x", is_staff=True)
    membership_create(user=staff, organization=organization)
    root = User.objects.create_superuser("root", password="x")
    account = EmailAccount.objects.create(
        organization=organization,
        user=staff,
        email_address="agent@bench.example",
        display_name="Agent",
        provider=EmailAccount.Provider.SANDBOX,
    )
    # A campaign (five steps, three days apart) starts every few days; the two latest are
    # still running. Gmail's 2,000 sends a day per account make campaigns of
    # tens of thousands of messages the norm: about 50,000 each at a million leads.
    campaigns = max(MESSAGES_PER_LEAD, leads // 10_000)
    steps = []
    for number in range(campaigns):
        campaign = Campaign.objects.create(
            organization=organization,
            name=f"Campaign {number:03}",
            type=Campaign.Type.SEQUENCE,
            status=(
                Campaign.Status.ACTIVE if number >= campaigns - 2 else Campaign.Status.COMPLETED
            ),
            email_account=account,
            track_opens=True,
            track_clicks=number % 2 == 0,
        )
        # From six months ago to 16 days ago, so that its last step (day 12, sent over three
        # days) is in the past: later steps are made by the sequence tick when due. The
        # latest starts 16 days ago, so that the home's 30 days hold its sends at every size
        # (at 5,000 leads the campaigns start six weeks apart).
        started_days_ago = 16 + (DAYS - 16) * (campaigns - 1 - number) / (campaigns - 1)
        for order in range(1, 6):
            step = CampaignStep.objects.create(
                campaign=campaign,
                order=order,
                offset_days=3 * (order - 1),
                subject=f"Step {order} of campaign {number}",
                body_template="<p>Hello {{ lead.name }}</p>",
            )
            steps.append((step, started_days_ago - step.offset_days))
    started = time.perf_counter()
    with connection.cursor() as cursor, _indexes_rebuilt(cursor, BIG_TABLES):
        # The data is consistent by construction: skip the per-row foreign-key triggers.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "CREATE TEMP TABLE bench_steps (idx int, step uuid, campaign uuid, days_ago float)"
        )
        cursor.executemany(
            "INSERT INTO bench_steps VALUES (%s, %s, %s, %s)",
            [
                (index, step.pk, step.campaign_id, days_ago)
                for index, (step, days_ago) in enumerate(steps)
            ],
        )
        cursor.execute(
            """
            INSERT INTO crm_lead (id, organization_id, first_name, last_name, name, email, phone,
                city, status, budget_min, budget_max, source, custom, consent_basis, created_at,
                updated_at)
            SELECT md5('lead' || n)::uuid, %(org)s, f.first, f.last, f.first || ' ' || f.last,
                'lead' || n || '@example.com', '+1 555 0' || (n %% 1000),
                (ARRAY['Los Angeles','Pasadena','Burbank','Paris','Lyon'])[1 + n %% 5],
                (ARRAY['new','contacted','qualified','client','lost'])[1 + n %% 5],
                300000 + (n %% 50) * 10000, 600000 + (n %% 50) * 20000,
                (ARRAY['Website form','Zillow','Open house','Referral',''])[1 + n %% 5],
                '{}', 'unknown', now() - make_interval(mins => n %% 525600), now()
            FROM generate_series(1, %(leads)s) AS n
            CROSS JOIN LATERAL (
                SELECT
                    (ARRAY['James','Maria','Wei','Priya','Léa','Omar','Sofia','John'])[1 + n %% 8]
                        AS first,
                    (ARRAY['Smith','Garcia','Chen','Patel','Dubois','Kim'])[1 + n %% 6] AS last
            ) f
            """,
            {"org": organization.pk, "leads": leads},
        )
        # Lead n gets step n mod 5 of five different campaigns, sent over three days from
        # the step's day; half a percent are still waiting in the queue. Rows go in in the
        # order the sender made them, as in production: a step's messages lie together.
        cursor.execute(
            """
            INSERT INTO campaigns_messagelog (id, organization_id, campaign_id, campaign_step_id,
                lead_id, email_account_id, status, is_test, to_email, subject, body_html,
                body_text, message_id, in_reply_to, provider_message_id, thread_id, links,
                open_count, click_count, prefetch_count, error_message, created_at, updated_at,
                sent_at, opened_at, clicked_at, replied_at, bounced_at, unsubscribed_at,
                variant, ab_group, attempts)
            SELECT md5('msg' || n || '-' || j)::uuid, %(org)s, s.campaign, s.step,
                md5('lead' || n)::uuid, %(account)s,
                CASE WHEN y.queued THEN 'queued' WHEN y.failed THEN 'failed'
                     WHEN e < 0.010 THEN 'bounced' WHEN e < 0.030 THEN 'replied'
                     WHEN e < 0.033 THEN 'unsubscribed' WHEN e < 0.110 THEN 'clicked'
                     WHEN e < 0.380 THEN 'opened' ELSE 'sent' END,
                false, 'lead' || n || '@example.com', 'Step ' || j || ' for lead ' || n,
                '<p>Hello, here are this week''s listings.</p>', 'Hello.',
                '<' || n || '.' || j || '@bench.example>', '', 'gmail-' || n || '-' || j,
                'thread-' || n, '[]', (y.ok AND e < 0.38)::int, (y.ok AND e < 0.11)::int, 0,
                CASE WHEN y.failed
                     THEN (ARRAY['HTTP 400 invalidArgument: Invalid To header',
                                 'gave up after 5 attempts: HTTP 503 backendError',
                                 'HTTP 403 dailyLimitExceeded'])[1 + n %% 3]
                     WHEN y.ok AND e < 0.010
                     THEN '550 5.1.1 The email account that you tried to reach does not exist.'
                     ELSE '' END,
                sent - interval '1 minute', sent,
                CASE WHEN y.ok THEN sent END,
                CASE WHEN y.ok AND e >= 0.010 AND e < 0.380 THEN sent + '3 hours' END,
                CASE WHEN y.ok AND e >= 0.030 AND e < 0.110 THEN sent + '3 hours' END,
                CASE WHEN y.ok AND e >= 0.010 AND e < 0.030 THEN sent + '5 hours' END,
                CASE WHEN y.ok AND e < 0.010 THEN sent + '2 minutes' END,
                CASE WHEN y.ok AND e >= 0.030 AND e < 0.033 THEN sent + '1 day' END,
                '', '', 0
            FROM generate_series(1, %(leads)s) AS n
            CROSS JOIN generate_series(0, %(per_lead)s - 1) AS j
            JOIN bench_steps s ON s.idx = (n + j * 5) %% %(steps)s
            CROSS JOIN LATERAL (
                SELECT random() + 0 * n AS r, random() + 0 * j AS e,
                       now() - make_interval(
                           secs => (s.days_ago - random() * 3) * 86400 + 0 * n
                       ) AS sent
            ) x
            CROSS JOIN LATERAL (
                SELECT x.r < 0.005 AS queued, x.r >= 0.005 AND x.r < 0.015 AS failed,
                       x.r >= 0.015 AS ok
            ) y
            ORDER BY x.sent
            """,
            {
                "org": organization.pk,
                "account": account.pk,
                "leads": leads,
                "per_lead": MESSAGES_PER_LEAD,
                "steps": len(steps),
            },
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    with connection.cursor() as cursor:
        # The running campaigns' enrollments: one per lead they wrote to; a fifth stopped
        # (a reply or a bounce), those past the last step completed, the others waiting
        # three days for their next step.
        cursor.execute(
            """
            INSERT INTO campaigns_enrollment (id, organization_id, campaign_id, lead_id, state,
                stop_reason, started_at, next_order, next_due_at, created_at, updated_at)
            SELECT md5('enrol' || m.id::text)::uuid, m.organization_id, m.campaign_id,
                m.lead_id, e.state, CASE WHEN e.state = 'stopped' THEN 'replied' ELSE '' END,
                m.created_at - make_interval(days => 3 * (s."order" - 1)), s."order" + 1,
                CASE WHEN e.state = 'active' THEN m.created_at + interval '3 days' END,
                m.created_at, m.created_at
            FROM campaigns_messagelog m
            JOIN campaigns_campaign c ON c.id = m.campaign_id AND c.status = 'active'
            JOIN campaigns_campaignstep s ON s.id = m.campaign_step_id
            CROSS JOIN LATERAL (
                SELECT CASE WHEN s."order" = 5 THEN 'completed'
                            WHEN mod(abs(hashtext(m.id::text)), 5) = 0 THEN 'stopped'
                            ELSE 'active' END AS state
            ) e
            """
        )
    with connection.cursor() as cursor:
        # As autovacuum leaves a table in production: statistics and the visibility map
        # (index-only scans) up to date.
        cursor.execute("VACUUM ANALYZE")
    return {
        "staff": staff,
        "root": root,
        "organization": organization,
        "other": other,
        # A finished campaign from the middle of the six months: its results page.
        "campaign": Campaign.objects.filter(organization=organization).order_by("name")[
            campaigns // 2
        ],
        "generate_seconds": round(time.perf_counter() - started, 1),
    }


@contextmanager
def _lead_page_peer() -> Iterator[None]:
    """The lead's page with Django's default inline querysets (its sequences read each
    enrollment's campaign one query at a time)."""
    from campaigns.admin.leads import AutoReplyInline, EnrollmentInline

    with ExitStack() as stack:
        for inline in (EnrollmentInline, AutoReplyInline):
            own = mock.patch.object(inline, "get_queryset", InlineModelAdmin.get_queryset)
            stack.enter_context(own)
        yield


def plain_funnel(campaign: Any) -> list[dict[str, Any]]:
    """A campaign's funnel the plain way: one COUNT per step and figure."""
    from campaigns.models import SENT_OR_LATER, Enrollment, MessageLog

    Status = MessageLog.Status
    figures = {
        "queued": Q(status__in=[Status.QUEUED, Status.SENDING]),
        "sent": Q(status__in=SENT_OR_LATER),
        "opened": Q(opened_at__isnull=False),
        "clicked": Q(clicked_at__isnull=False),
        "replied": Q(replied_at__isnull=False) | Q(status=Status.REPLIED),
        "bounced": Q(bounced_at__isnull=False),
        "unsubscribed": Q(unsubscribed_at__isnull=False),
        "failed": Q(status=Status.FAILED),
    }
    funnel = []
    for step in campaign.steps.order_by("order"):
        logs = MessageLog.objects.filter(campaign_step=step, is_test=False)
        waiting = 0
        if campaign.type == campaign.Type.SEQUENCE:
            waiting = Enrollment.objects.filter(
                campaign=campaign, state=Enrollment.State.ACTIVE, next_order=step.order
            ).count()
        made = logs.exclude(status=Status.CANCELLED).count()
        funnel.append(
            {
                "step": step,
                "waiting": waiting,
                "audience": made + waiting,
                **{name: logs.filter(q).count() for name, q in figures.items()},
            }
        )
    return funnel


def plain_progress(campaign: Any) -> dict[str, dict[str, Any]]:
    """A campaign's delivery counts the plain way: one aggregate over its messages, in the
    shape `campaign_progress` sums (a single row)."""
    from campaigns.models import SENT_OR_LATER, MessageLog
    from campaigns.reporting.progress import RATE_WINDOW

    Status = MessageLog.Status
    recent = Q(sent_at__gte=timezone.now() - RATE_WINDOW)
    return {
        "all": MessageLog.objects.filter(campaign=campaign, is_test=False).aggregate(
            total=Count("pk"),
            sent=Count("pk", filter=Q(status__in=SENT_OR_LATER)),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            waiting=Count("pk", filter=Q(status__in=[Status.QUEUED, Status.SENDING])),
            skipped=Count("pk", filter=Q(status=Status.SKIPPED)),
            cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
            unknown=Count("pk", filter=Q(status=Status.UNKNOWN)),
            recent=Count("pk", filter=recent),
            recent_since=Min("sent_at", filter=recent),
            last_sent=Max("sent_at"),
        )
    }


def aggregated_funnel(campaign: Any) -> list[dict[str, Any]]:
    """A campaign's funnel by conditional aggregation: one query counts every step's
    figures (COUNT ... FILTER), one more its waiting enrollments."""
    from campaigns.models import SENT_OR_LATER, Enrollment, MessageLog

    Status = MessageLog.Status
    figures = {
        "queued": Q(status__in=[Status.QUEUED, Status.SENDING]),
        "sent": Q(status__in=SENT_OR_LATER),
        "opened": Q(opened_at__isnull=False),
        "clicked": Q(clicked_at__isnull=False),
        "replied": Q(replied_at__isnull=False) | Q(status=Status.REPLIED),
        "bounced": Q(bounced_at__isnull=False),
        "unsubscribed": Q(unsubscribed_at__isnull=False),
        "failed": Q(status=Status.FAILED),
    }
    counted = {
        row["campaign_step"]: row
        for row in MessageLog.objects.filter(campaign=campaign, is_test=False)
        .values("campaign_step")
        .annotate(
            made=Count("pk", filter=~Q(status=Status.CANCELLED)),
            **{name: Count("pk", filter=q) for name, q in figures.items()},
        )
        .order_by()
    }
    waiting: dict[int, int] = {}
    if campaign.type == campaign.Type.SEQUENCE:
        waiting = dict(
            Enrollment.objects.filter(campaign=campaign, state=Enrollment.State.ACTIVE)
            .values("next_order")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("next_order", "n")
        )
    funnel = []
    for step in campaign.steps.order_by("order"):
        row: dict[str, Any] = dict(counted.get(step.pk, {}))
        wait = waiting.get(step.order, 0)
        funnel.append(
            {
                "step": step,
                "waiting": wait,
                "audience": row.get("made", 0) + wait,
                **{name: row.get(name, 0) for name in figures},
            }
        )
    return funnel


@contextmanager
def _campaign_page_peer(aggregated: bool = True) -> Iterator[None]:
    """The campaign's page (campaigns/reporting/campaign_live.py) with its progress as one
    aggregate and its funnel counted the plain way: by conditional aggregation, or (the
    second peer) one COUNT per step and figure."""
    from campaigns.reporting import campaign_live
    from campaigns.reporting.progress import campaign_progress

    funnel = aggregated_funnel if aggregated else plain_funnel
    plain = {
        "counts_by_step": lambda campaign: {},
        "campaign_progress": lambda campaign, by_step: campaign_progress(
            campaign, plain_progress(campaign)
        ),
        "step_funnel": lambda campaign, by_step, outlook: funnel(campaign),
    }
    with ExitStack() as stack:
        for name, function in plain.items():
            stack.enter_context(mock.patch.object(campaign_live, name, function))
        yield


@contextmanager
def _django_counts(admin_class: Any, full_count: bool = False) -> Iterator[None]:
    """The same ModelAdmin with Django's default paginator (its count of the filtered
    list), and with `full_count` (the second peer) the whole table's count too, for the
    "N total" link; else ours' show_full_result_count."""
    saved = {
        name: admin_class.__dict__.get(name) for name in ("paginator", "show_full_result_count")
    }
    admin_class.paginator = Paginator
    admin_class.show_full_result_count = full_count or admin_class.show_full_result_count
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                delattr(admin_class, name)
            else:
                setattr(admin_class, name, value)


@contextmanager
def _home_peer() -> Iterator[None]:
    """The home counting its 30 days live on every view: the sums' window is moved to end
    31 days ago, so no stored day falls inside the page's 30."""
    from campaigns.models import StatsWindow

    window = StatsWindow.objects.get(pk=1)
    today = timezone.localdate()
    StatsWindow.objects.filter(pk=1).update(
        since=today - timedelta(days=62), until=today - timedelta(days=31)
    )
    try:
        yield
    finally:
        StatsWindow.objects.filter(pk=1).update(since=window.since, until=window.until)


@contextmanager
def _context_recorded() -> Iterator[None]:
    """Django's test instrumentation, which keeps the templates' context on the response:
    on for the loads whose output is compared, off for the timed loads (it copies every
    context)."""
    setup_test_environment()
    try:
        yield
    finally:
        teardown_test_environment()


def _shown(page: str, context: Any) -> Any:
    """What a page shows, in a form ours and the peer's compare."""
    if page in {"lead_list", "message_list", "enrollments"}:
        return [str(obj.pk) for obj in context["cl"].result_list]
    if page == "home":
        return {"kpis": context["kpis"], "chart": context["chart"]}
    if page == "campaign_page":
        return context["live"], context["results"]
    return [
        [str(form.instance.pk) for form in inline.formset.forms]
        for inline in context["inline_admin_formsets"]
    ]


LIST = "the same list with Django's paginator, show_full_result_count as ours"
PEERS = {
    "lead_list": (LIST, "LeadAdmin"),
    "message_list": (LIST, "MessageLogAdmin"),
    "enrollments": (LIST, "EnrollmentAdmin"),
    "home": ("the same page counting its 30 days live on each view", None),
    "campaign_page": (
        "the same page with its progress as one aggregate and its funnel by conditional "
        "aggregation",
        None,
    ),
    "lead_page": ("the same page with Django's default inline querysets", None),
}
# The second peers, by page: label, what it is.
SECOND = {
    "lead_list": ("full_count", 'the list with the "N total" count on'),
    "message_list": ("full_count", 'the list with the "N total" count on'),
    "enrollments": ("full_count", 'the list with the "N total" count on'),
    "campaign_page": ("count_per_figure", "the funnel as one COUNT per step and figure"),
}


def _peer(page: str, second: bool = False) -> Any:
    if page == "home":
        return _home_peer()
    if page == "campaign_page":
        return _campaign_page_peer(aggregated=not second)
    if page == "lead_page":
        return _lead_page_peer()
    from django.contrib import admin

    from campaigns.models import Enrollment, MessageLog
    from crm.models import Lead

    model = {"lead_list": Lead, "message_list": MessageLog, "enrollments": Enrollment}[page]
    return _django_counts(type(admin.site._registry[model]), full_count=second)


def _load(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def compare_page(client: Client, page: str, url: str) -> None:
    """Ours and every peer's page show the same rows and figures, or the run fails."""
    with _context_recorded():
        ours = _shown(page, _load(client, url).context)
        for second in (False, True) if page in SECOND else (False,):
            with _peer(page, second):
                theirs = _shown(page, _load(client, url).context)
            assert ours == theirs, f"{page}: ours shows {ours!r:.300}, a peer {theirs!r:.300}"


def _backend_cpu_ms(pid: int) -> float:
    """CPU time used so far by the PostgreSQL backend serving this process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


@dataclass
class Timings:
    """One contender's loads of a page: wall-clock and CPU milliseconds (this process's and
    its PostgreSQL backend's) per load."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, client: Client, url: str, backend: int) -> None:
        # As timeit does: no garbage collection pause lands inside one load.
        gc.collect()
        gc.disable()
        try:
            started, cpu, database = (
                time.perf_counter(),
                time.process_time(),
                _backend_cpu_ms(backend),
            )
            _load(client, url)
            self.wall.append((time.perf_counter() - started) * 1000)
            self.cpu.append(
                (time.process_time() - cpu) * 1000 + _backend_cpu_ms(backend) - database
            )
        finally:
            gc.enable()


def timed_in_turn(client: Client, page: str, url: str, loads: int) -> dict[str, Timings]:
    """Ours and each peer's page, loaded in turn, the order rotating every round, so that a
    busy moment of the shared machine falls on all of them."""
    labels = ["ours", "peer", *([SECOND[page][0]] if page in SECOND else [])]

    def context(label: str) -> Any:
        return nullcontext() if label == "ours" else _peer(page, second=label != "peer")

    timings = {label: Timings() for label in labels}
    if loads > 1:  # else the comparison's loads were the warm-up
        for label in labels:
            with context(label):
                _load(client, url)  # all warm: templates compiled, caches filled
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    for n in range(loads):
        shift = n % len(labels)
        for label in labels[shift:] + labels[:shift]:
            with context(label):
                timings[label].add(client, url, backend)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == backend, "the connection was not kept between loads"
    return timings


def _cpu_ms_of(work: Any) -> float:
    """CPU milliseconds `work()` uses, this process's and its database backend's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu, database = time.process_time(), _backend_cpu_ms(backend)
    work()
    return (time.process_time() - cpu) * 1000 + _backend_cpu_ms(backend) - database


@override_settings(ALLOWED_HOSTS=["testserver"])
def measure(leads: int, prefix: str) -> dict[str, Any]:
    from campaigns.models import MessageLog
    from campaigns.reporting import stats
    from crm.models import Lead

    data = generate(leads)
    # A smoke run (`make test`) loads each page once: it shows the pages work and compare.
    loads = LOADS if leads >= 100_000 else SMALL_LOADS if leads >= 5_000 else 1
    # The connection is kept between requests, as deployed (DB_CONN_MAX_AGE): one backend
    # serves every load, and its CPU time is read from /proc.
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = None
    staff = Client()
    staff.force_login(data["staff"])
    campaign = data["campaign"]
    lead = Lead.objects.filter(organization=data["organization"]).order_by("email")[0]
    urls = {
        "lead_list": reverse("admin:crm_lead_changelist"),
        "message_list": reverse("admin:campaigns_messagelog_changelist"),
        "home": reverse("admin:index"),
        "campaign_page": reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
        "enrollments": reverse("admin:campaigns_enrollment_changelist"),
        "lead_page": reverse("admin:crm_lead_change", args=[lead.pk]),
    }
    connection.ensure_connection()
    started = time.perf_counter()
    # What the sender does every five minutes; its CPU is charged to ours' home, amortised
    # over the views at one view a second (REFRESH_VIEWS).
    summing_cpu = _cpu_ms_of(stats.refresh)
    summing = time.perf_counter() - started
    made = (
        f"{leads:,} leads, {MessageLog.objects.count():,} messages "
        f"(made in {data['generate_seconds']} s)"
    )
    rows = {}
    for page, url in urls.items():
        compare_page(staff, page, url)
        timings = timed_in_turn(staff, page, url, loads)
        ours, peer = timings["ours"], timings["peer"]
        note = f"peer: {PEERS[page][0]}"
        charged = 0.0
        if page == "home":
            charged = summing_cpu / REFRESH_VIEWS
            note += (
                f"; ours reads the sums, and is charged {charged:.1f} ms a view for their "
                f"refresh ({summing_cpu:.0f} ms of CPU, {summing:.1f} s, every 5 min, "
                f"over {REFRESH_VIEWS} views at one a second)"
            )
        wall = (
            f"wall-clock medians on this machine: ours {statistics.median(ours.wall):.0f} ms, "
            f"peer {statistics.median(peer.wall):.0f} ms"
        )
        ours_cpu = [ms + charged for ms in ours.cpu]
        rows[f"{prefix}_{page}"] = {
            "ours": {
                "value": statistics.fmean(ours_cpu),
                "values": ours_cpu,
                "note": "; ".join(filter(None, (made if page == "lead_list" else "", wall))),
            },
            "peer": {"value": statistics.fmean(peer.cpu), "values": peer.cpu, "note": note},
        }
        if page in SECOND:
            label, what = SECOND[page]
            second = timings[label]
            rows[f"{prefix}_{page}"][label] = {
                "value": statistics.fmean(second.cpu),
                "values": second.cpu,
                "note": f"{label}: {what}",
            }
    return rows


def agency(leads: int) -> dict[str, Any]:
    """A typical agency's admin: a few thousand leads."""
    return measure(leads, "agency")


def scale(leads: int) -> dict[str, Any]:
    """The admin at a million leads and five million messages."""
    return measure(leads, "admin")
