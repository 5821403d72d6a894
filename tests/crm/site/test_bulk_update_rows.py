"""crm.site.bulk.update_rows: one UPDATE giving each row values of its own, on SQLite (a CASE
per column) and PostgreSQL (the rows as one JSON parameter, issue 18)."""

import datetime

import pytest
from django.db import DataError, connection, transaction

from crm.models import Lead
from crm.site.bulk import update_many, update_rows

MOMENT = datetime.datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=datetime.UTC)


@pytest.fixture
def leads(org_a):
    return [
        Lead.objects.create(organization=org_a, name=f"L{n}", email=f"l{n}@x.test", phone="555")
        for n in range(3)
    ]


def test_each_row_gets_its_own_values_and_a_column_left_out_keeps_its_value(leads):
    first, second, third = leads
    changed = update_rows(
        Lead,
        {
            first.pk: {"city": "Paris", "phone": ""},
            second.pk: {"city": "Lyon"},
            third.pk: {"budget_min": None, "unsubscribed_at": MOMENT},
        },
    )
    assert changed == 3
    rows = {lead.pk: lead for lead in Lead.objects.all()}
    assert (rows[first.pk].city, rows[first.pk].phone) == ("Paris", "")
    assert (rows[second.pk].city, rows[second.pk].phone) == ("Lyon", "555")
    assert (rows[third.pk].city, rows[third.pk].phone) == ("", "555")
    assert rows[third.pk].unsubscribed_at == MOMENT  # to the microsecond


def test_values_given_for_every_row_go_to_every_row(leads):
    changes = {lead.pk: {"city": f"City {n}"} for n, lead in enumerate(leads)}
    assert update_rows(Lead, changes, every_row={"source": "fair", "unsubscribed_at": MOMENT}) == 3
    rows = Lead.objects.order_by("city")
    assert [(lead.city, lead.source) for lead in rows] == [(f"City {n}", "fair") for n in range(3)]
    assert {lead.unsubscribed_at for lead in rows} == {MOMENT}


def test_only_the_rows_that_match_the_condition_change(leads):
    first, second, _ = leads
    Lead.objects.filter(pk=second.pk).update(status=Lead.Status.CLIENT)
    changes = {lead.pk: {"city": "Nice"} for lead in (first, second)}
    assert update_rows(Lead, changes, where={"status": Lead.Status.NEW}) == 1
    assert set(Lead.objects.filter(city="Nice").values_list("pk", flat=True)) == {first.pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps any length")
def test_a_value_too_long_for_its_column_is_refused_not_cut(leads):
    with pytest.raises(DataError), transaction.atomic():
        update_rows(Lead, {leads[0].pk: {"phone": "5" * 41}})
    assert Lead.objects.get(pk=leads[0].pk).phone == "555"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the JSON form is PostgreSQL's")
def test_on_postgresql_the_statement_takes_one_parameter_for_all_the_rows(leads):
    sent = []

    def record(execute, sql, params, many, context):
        sent.append(len(params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        update_rows(Lead, {lead.pk: {"city": "Nice", "phone": ""} for lead in leads})
    # Two column names and the rows: psycopg binds each parameter in Python.
    assert sent == [3]


def test_a_relation_without_a_column_is_refused_by_name(leads, org_a):
    from campaigns.models import Campaign

    campaign = Campaign.objects.create(organization=org_a, name="C")
    with pytest.raises(ValueError, match=r"Lead.enrollments is not a column"):
        update_rows(Lead, {leads[0].pk: {"enrollments": None}})
    with pytest.raises(ValueError, match=r"chosen_leads is not a column"):
        update_many([campaign], ["chosen_leads"])
