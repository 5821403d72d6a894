"""A GET to any URL the admin serves changes no row of any table, whoever sends it (a link
from another site reaches the admin with the staff member's cookies, and only a POST
carries Django's CSRF check)."""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from campaigns.models import Campaign, CampaignStep, Enrollment
from campaigns.reporting import stats
from crm.models import SuppressedAddress
from tests.conftest import list_property, logged_in, make_buyer, make_listing_alerts

ANY_ROUTE_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
# Every unfold action and custom page that changed rows on a GET before; the walk must
# reach them, or it proves nothing.
ONCE_CHANGED_ON_GET = ["/pause/", "/resume/", "/make-primary/", "/reconnect/", "/connect-gmail/"]
# Pages whose POST sends or decides: the walk must reach them too.
DECIDE_ON_POST = ["/listingalert/", "/send/", "/dismiss/"]


@pytest.fixture
def cast(org_a, org_b, superuser, staff_a, staff_b, message_a, message_b, property_a, property_b):
    """One object of every registered model in each organization, in the states where each
    action applies: A's campaign running (pause), B's paused (resume), a draft (launch),
    accounts that are not primary (make primary)."""
    campaign_a, campaign_b = message_a.campaign, message_b.campaign
    Campaign.objects.filter(pk=campaign_a.pk).update(status=Campaign.Status.ACTIVE)
    Campaign.objects.filter(pk=campaign_b.pk).update(
        status=Campaign.Status.PAUSED, paused_at=timezone.now()
    )
    draft = Campaign.objects.create(
        organization=org_a, name="Draft A", email_account=campaign_a.email_account
    )
    CampaignStep.objects.create(campaign=draft, order=1, subject="Hi", body_template="<p>Hi</p>")
    for message in (message_a, message_b):
        Enrollment.objects.create(
            organization=message.organization,
            campaign=message.campaign,
            lead=message.lead,
            started_at=timezone.now(),
        )
        SuppressedAddress.objects.create(
            organization=message.organization, email=f"gone@{message.organization.slug}.example"
        )
    # A listing alert campaign still a draft (Launch turns it on) and one that listens, with
    # a new listing's alert waiting for review (send, dismiss).
    Campaign.objects.create(organization=org_a, name="Alerts A", type=Campaign.Type.LISTING_ALERT)
    make_listing_alerts(org_a, campaign_a.email_account)
    make_buyer(org_a, "Ana Buyer")
    list_property(org_a)
    Group.objects.create(name="Editors")
    AccessAttempt.objects.create(
        username="alice", ip_address="198.51.100.7", failures_since_start=3, user_agent="x"
    )
    AccessLog.objects.create(username="alice", ip_address="198.51.100.7", user_agent="x")
    # The home refreshes its cached sums when they are 15 minutes old: fresh ones first, so
    # that only what a GET must not do is left to see.
    stats.refresh()


def registered_ids(model: type[Model]) -> list[str]:
    return [str(pk) for pk in model._base_manager.order_by("pk").values_list("pk", flat=True)]


def filled(prefix: str, route: str) -> Iterator[str]:
    """The route with every parameter replaced by real values: the ids of the route's own
    model, or (for content_type_id) every registered model's objects."""
    names = ANY_ROUTE_PARAMETER.findall(route)
    if not names:
        yield prefix + route
        return
    if set(names) == {"content_type_id", "object_id"}:
        for model in admin.site._registry:
            content_type = ContentType.objects.get_for_model(model).pk
            for pk in registered_ids(model):
                values = {"content_type_id": str(content_type), "object_id": pk}
                yield prefix + _with_values(route, values)
        return
    assert set(names) <= {"object_id", "id"}, f"the walk does not know {names} in {route}"
    app_label, model_name = prefix.strip("/").split("/")[-2:]
    for pk in registered_ids(apps.get_model(app_label, model_name)):
        yield prefix + ANY_ROUTE_PARAMETER.sub(pk, route)


def _with_values(route: str, values: dict[str, str]) -> str:
    return ANY_ROUTE_PARAMETER.sub(lambda parameter: values[parameter[1]], route)


def matching(prefix: str, regex: re.Pattern) -> Iterator[str]:
    """Regex routes (the app index, the catch-all) with the values they accept."""
    labels = {model._meta.app_label for model in admin.site._registry}
    for candidate in [f"{label}/" for label in sorted(labels)] + ["no-such-page/"]:
        if regex.match(candidate):
            yield prefix + candidate


def walk(patterns: list, prefix: str) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and hasattr(pattern.pattern, "regex"):
            if pattern.pattern.__class__.__name__ == "RegexPattern":
                yield from matching(prefix, pattern.pattern.regex)
            else:
                yield from filled(prefix, str(pattern.pattern))


def admin_urls() -> list[str]:
    """Every URL the admin serves, as the project's URLconf really mounts it."""
    root = next(
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "admin"
    )
    return sorted(set(walk(root.url_patterns, "/" + str(root.pattern))))


def every_row() -> dict[str, list]:
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
    }


WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|TRUNCATE|CREATE|DROP|ALTER)\b", re.I)


class Writes:
    """Counts the statements that may write (an execute wrapper on the test's connection,
    the one the test client's requests use)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        if WRITE.match(sql):
            self.count += 1
        return execute(sql, params, many, context)


def test_no_get_to_any_admin_url_changes_a_row(cast, superuser, staff_a):
    """One walk, each URL asked by the superuser and by a staff member. The tables are read
    whole at the start, again after any request that sent a statement that may write, and
    at the end (for a write from another thread or process)."""
    clients = {"superuser": logged_in(superuser), "staff_a": logged_in(staff_a)}
    for client in clients.values():
        client.raise_request_exception = False
    urls = admin_urls()
    for fragment in ONCE_CHANGED_ON_GET + DECIDE_ON_POST:
        assert any(fragment in url for url in urls), fragment
    rows = every_row()
    changed: list[str] = []
    failed: list[str] = []

    def compare(where: str) -> None:
        nonlocal rows
        now = every_row()
        changed.extend(f"{where}: {label}" for label in rows if rows[label] != now[label])
        rows = now  # a later change is told apart from this one

    writes = Writes()
    with connection.execute_wrapper(writes):
        for url in urls:
            for who, client in clients.items():
                before = writes.count
                response = client.get(url)
                if writes.count != before:
                    compare(f"{url} (as {who})")
                if response.status_code >= 500:
                    failed.append(f"{url} (as {who})")
    compare("by the end of the walk")
    assert not changed, "a GET changed rows:\n" + "\n".join(changed)
    assert not failed, "a GET failed:\n" + "\n".join(failed)
