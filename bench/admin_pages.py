"""Stage 7: the admin at scale on PostgreSQL. One data set (leads, and five messages per lead
over six months) is generated inside the database, then each page is loaded several times
through the test client as an agency's staff member; the median is reported.

The peers: for the lists, the same admin with Django's defaults (a full COUNT for the
paginator and the "N total" link, no select_related, Django's filters reading the table
for the values in use); for the home, the same page counting its 30 days live on every
view instead of reading the sums (campaigns/stats.py); for a campaign's page, its funnel
and figures the plain way, one COUNT per step and per figure.
"""

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

LOADS = 5  # loads per page at full size; three for small runs
MESSAGES_PER_LEAD = 5
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
        # days) is in the past: later steps are made by the sequence tick when due.
        started_days_ago = 16 + (DAYS - 16) * (campaigns - number) / campaigns
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
            INSERT INTO crm_lead (id, organization_id, name, email, phone, city, status,
                budget_min, budget_max, source, created_at, updated_at)
            SELECT md5('lead' || n)::uuid, %(org)s,
                (ARRAY['James','Maria','Wei','Priya','Léa','Omar','Sofia','John'])[1 + n %% 8]
                    || ' ' || (ARRAY['Smith','Garcia','Chen','Patel','Dubois','Kim'])[1 + n %% 6],
                'lead' || n || '@example.com', '+1 555 0' || (n %% 1000),
                (ARRAY['Los Angeles','Pasadena','Burbank','Paris','Lyon'])[1 + n %% 5],
                (ARRAY['new','contacted','qualified','client','lost'])[1 + n %% 5],
                300000 + (n %% 50) * 10000, 600000 + (n %% 50) * 20000,
                (ARRAY['Website form','Zillow','Open house','Referral',''])[1 + n %% 5],
                now() - make_interval(mins => n %% 525600), now()
            FROM generate_series(1, %(leads)s) AS n
            """,
            {"org": organization.pk, "leads": leads},
        )
        # Lead n gets step n mod 5 of five different campaigns, sent over three days from
        # the step's day; half a percent are still waiting in the queue.
        cursor.execute(
            """
            INSERT INTO campaigns_messagelog (id, organization_id, campaign_id, campaign_step_id,
                lead_id, email_account_id, status, is_test, to_email, subject, body_html,
                body_text, message_id, in_reply_to, provider_message_id, thread_id, links,
                open_count, click_count, prefetch_count, error_message, created_at, updated_at,
                sent_at, opened_at, clicked_at, replied_at, bounced_at, unsubscribed_at)
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
                CASE WHEN y.ok AND e >= 0.030 AND e < 0.033 THEN sent + '1 day' END
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


def median_ms(load: Callable[[], Any], loads: int = LOADS) -> float:
    times = []
    for _ in range(loads):
        started = time.perf_counter()
        load()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def page(client: Client, url: str) -> Callable[[], Any]:
    def load() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return load


def naive_campaign(campaign: Any) -> None:
    """A campaign's funnel and reasons the plain way: a COUNT per step and per figure."""
    from campaigns.models import MessageLog

    for step in campaign.steps.all():
        logs = MessageLog.objects.filter(campaign_step=step, is_test=False)
        logs.count()
        for status in ("queued", "sent", "failed"):
            logs.filter(status=status).count()
        for field in ("opened_at", "clicked_at", "replied_at", "bounced_at", "unsubscribed_at"):
            logs.filter(**{f"{field}__isnull": False}).count()
    reasons = MessageLog.objects.filter(campaign=campaign).exclude(error_message="")
    for reason in set(reasons.values_list("error_message", flat=True)):
        reasons.filter(error_message=reason).count()


def peer_admin_defaults() -> Any:
    """Our admin classes with Django's defaults put back, to run as the peer."""
    from django.core.paginator import Paginator

    from campaigns.admin import MessageLogAdmin
    from crm.admin import LeadAdmin

    saved = {}
    for admin_class in (LeadAdmin, MessageLogAdmin):
        saved[admin_class] = {
            name: admin_class.__dict__.get(name)
            for name in (
                "paginator",
                "show_full_result_count",
                "list_select_related",
                "list_filter",
            )
        }
        admin_class.paginator = Paginator
        admin_class.show_full_result_count = True
        admin_class.list_select_related = False
        # Django's own tenant-safe filter on a foreign key: the ids in use, from the list.
        admin_class.list_filter = [_django_filter(item) for item in admin_class.list_filter]
    return saved


def _django_filter(item: Any) -> Any:
    """Django's own filter in place of ours: the ids in use (tenant-safe) for a foreign key,
    all the distinct values for a field."""
    from django.contrib.admin import RelatedOnlyFieldListFilter

    from crm.tenancy import TenantRelatedFilter, TenantValuesFilter

    if isinstance(item, tuple) and item[1] is TenantRelatedFilter:
        return (item[0], RelatedOnlyFieldListFilter)
    if isinstance(item, tuple) and item[1] is TenantValuesFilter:
        return item[0]
    return item


def restore(saved: Any) -> None:
    for admin_class, values in saved.items():
        for name, value in values.items():
            if value is None:
                if name in admin_class.__dict__:
                    delattr(admin_class, name)
            else:
                setattr(admin_class, name, value)


@override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False)
def measure(leads: int) -> dict[str, Any]:
    from campaigns import stats
    from campaigns.models import MessageLog, StatsWindow

    data = generate(leads)
    loads = LOADS if leads >= 100_000 else 3
    staff = Client()
    staff.force_login(data["staff"])
    campaign = data["campaign"]
    urls = {
        "admin_lead_list": reverse("admin:crm_lead_changelist"),
        "admin_message_list": reverse("admin:campaigns_messagelog_changelist"),
        "admin_home": reverse("admin:index"),
        "admin_campaign_page": reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
    }
    started = time.perf_counter()
    stats.refresh()  # what the sender does every five minutes
    summing = time.perf_counter() - started
    ours = {stage: median_ms(page(staff, url), loads) for stage, url in urls.items()}
    saved = peer_admin_defaults()
    try:
        peer = {
            "admin_lead_list": median_ms(page(staff, urls["admin_lead_list"]), loads),
            "admin_message_list": median_ms(page(staff, urls["admin_message_list"]), loads),
        }
    finally:
        restore(saved)
    # The same home page with no sums: a window that ends 31 days ago counts all live.
    today = timezone.localdate()
    StatsWindow.objects.filter(pk=1).update(
        since=today - timedelta(days=62), until=today - timedelta(days=31)
    )
    peer["admin_home"] = median_ms(page(staff, urls["admin_home"]), loads)
    peer["admin_campaign_page"] = median_ms(lambda: naive_campaign(campaign), loads)
    made = (
        f"{leads:,} leads, {MessageLog.objects.count():,} messages ({data['generate_seconds']} s)"
    )
    notes = {
        "admin_lead_list": "peer: the same list with Django's paginator, counts and filters",
        "admin_message_list": "peer: the same list with Django's paginator, counts and filters",
        "admin_home": "peer: the same page counting its 30 days live on each view; ours "
        f"reads the sums (summing them took {summing:.1f} s, the sender does it every 5 min)",
        "admin_campaign_page": "peer: the funnel alone, one COUNT per step and figure",
    }
    return {
        stage: {
            "ours": {"value": ours[stage], "note": made},
            "peer": {"value": peer[stage], "note": notes[stage]},
        }
        for stage in urls
    }
