"""Bulk writes through one prepared statement (`executemany`) instead of per-row SQL.

Django's bulk_create compiles placeholders for every row and SQLite caps it at 999
parameters a statement; bulk_update builds a CASE per field per row. For imports and the
outbox, one statement run over many parameter rows is several times faster on both SQLite
and PostgreSQL. Field preparation is Django's own (`pre_save`, `get_db_prep_save`).
"""

import datetime
import decimal
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, models, router

NOT_A_COLUMN = "{field} is not a column of its table: bulk writes set columns only"


def insert_many(objs: Sequence[models.Model], batch_size: int = 5000) -> None:
    """INSERT new objects (primary keys set in Python, e.g. UUIDs); no signals are sent."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(column_of(field)) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            rows = [
                [
                    field.get_db_prep_save(field.pre_save(obj, add=True), connection)
                    for field in fields
                ]
                for obj in objs[start : start + batch_size]
            ]
            cursor.executemany(sql, rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def update_many(objs: Sequence[models.Model], field_names: Sequence[str]) -> None:
    """UPDATE the named fields of existing objects, by primary key."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    fields = [_field(model, name) for name in field_names]
    pk = model._meta.pk
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(model._meta.db_table),
        ", ".join(f"{quote(column_of(field))} = %s" for field in fields),
        quote(column_of(pk)),
    )
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, add=False), connection) for field in fields]
        + [pk.get_db_prep_value(obj.pk, connection)]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_rows(
    model: type[models.Model],
    changes: Mapping[Any, Mapping[str, Any]],
    *,
    every_row: Mapping[str, Any] | None = None,
    where: Mapping[str, Any] | None = None,
) -> int:
    """One UPDATE giving each row, by primary key, values of its own (`changes`) and the
    values of `every_row`, to the rows that also match `where` (column = value); a row's
    columns left out of its mapping keep their value. Returns how many rows changed.

    Django's Case/When resolves a Q per row and column: about 0.6 s of CPU for 100 rows of
    four columns here. SQLite gets a hand-written CASE per column. On PostgreSQL the rows
    travel as one JSON parameter, typed by the table's own row type (jsonb_populate_record
    keeps each column's type and length limit): psycopg binds parameters in Python, and
    the thousand of a CASE for 100 rows cost 8 ms of CPU a call, against 3.5 ms."""
    if not changes:
        return 0
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        assignments, params, rows_sql, rows_params = _rows_from_json(model, changes, connection)
    else:
        assignments, params, rows_sql, rows_params = _rows_by_case(model, changes, connection)
    for name, value in (every_row or {}).items():
        field = _field(model, name)
        assignments.append(f"{quote(column_of(field))} = %s")
        params.append(field.get_db_prep_save(value, connection))
    sql = f"UPDATE {quote(model._meta.db_table)} AS t SET {', '.join(assignments)} {rows_sql}"
    params += rows_params
    for name, value in (where or {}).items():
        field = _field(model, name)
        sql += f" AND t.{quote(column_of(field))} = %s"
        params.append(field.get_db_prep_value(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# Each form gives: the SET assignments and their parameters, then the rows' FROM and
# WHERE clause and its parameters.
Form = tuple[list[str], list[Any], str, list[Any]]


def _rows_from_json(
    model: type[models.Model], changes: Mapping[Any, Mapping[str, Any]], connection: Any
) -> Form:
    quote = connection.ops.quote_name
    pk = model._meta.pk
    names = sorted({name for values in changes.values() for name in values})
    fields = {name: _field(model, name) for name in names}
    rows = [
        {
            column_of(pk): pk.get_db_prep_value(key, connection),
            **{
                column_of(fields[name]): fields[name].get_db_prep_save(value, connection)
                for name, value in values.items()
            },
        }
        for key, values in changes.items()
    ]
    columns = [column_of(field) for field in fields.values()]
    # A column missing from a row's object keeps its value (`?` tests for the key).
    assignments = [
        f"{quote(column)} = CASE WHEN e.r ? %s THEN v.{quote(column)} ELSE t.{quote(column)} END"
        for column in columns
    ]
    table = quote(model._meta.db_table)
    rows_sql = (
        "FROM jsonb_array_elements(%s::jsonb) AS e(r), "
        f"LATERAL jsonb_populate_record(NULL::{table}, e.r) AS v "
        f"WHERE t.{quote(column_of(pk))} = v.{quote(column_of(pk))}"
    )
    return assignments, columns, rows_sql, [json.dumps(rows, default=_json_value)]


def _json_value(value: Any) -> str:
    """Values json cannot write, in the text PostgreSQL reads for their columns."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # all six digits of microseconds, unlike DjangoJSONEncoder
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be written by update_rows")


def _rows_by_case(
    model: type[models.Model], changes: Mapping[Any, Mapping[str, Any]], connection: Any
) -> Form:
    quote = connection.ops.quote_name
    pk = model._meta.pk
    keys = {key: pk.get_db_prep_value(key, connection) for key in changes}
    assignments: list[str] = []
    params: list[Any] = []
    for name in sorted({name for values in changes.values() for name in values}):
        field = _field(model, name)
        pairs = [(keys[key], values[name]) for key, values in changes.items() if name in values]
        column = quote(column_of(field))
        whens = " ".join(["WHEN %s THEN %s"] * len(pairs))
        assignments.append(f"{column} = CASE t.{quote(column_of(pk))} {whens} ELSE t.{column} END")
        for key, value in pairs:
            params += [key, field.get_db_prep_save(value, connection)]
    rows_sql = f"WHERE t.{quote(column_of(pk))} IN ({', '.join(['%s'] * len(keys))})"
    return assignments, params, rows_sql, list(keys.values())


def _field(model: type[models.Model], name: str) -> models.Field:
    """The model's field `name`; a reverse or many-to-many relation has no column in the
    model's table."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.many_to_many:
        raise ValueError(NOT_A_COLUMN.format(field=f"{model.__name__}.{name}"))
    return field


def column_named(model: type[models.Model], name: str) -> str:
    """The column of the model's field `name`, for SQL written by hand."""
    return column_of(_field(model, name))


def column_of(field: models.Field) -> str:
    """The field's column; a field made of others (a composite primary key) has none."""
    if field.column is None:
        raise ValueError(NOT_A_COLUMN.format(field=field))
    return field.column
