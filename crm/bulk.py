"""Bulk writes through one prepared statement (`executemany`) instead of per-row SQL.

Django's bulk_create compiles placeholders for every row and SQLite caps it at 999
parameters a statement; bulk_update builds a CASE per field per row. For imports and the
outbox, one statement run over many parameter rows is several times faster on both SQLite
and PostgreSQL. Field preparation is Django's own (`pre_save`, `get_db_prep_save`).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, models, router


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
        ", ".join(quote(field.column) for field in fields),
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
    fields = [model._meta.get_field(name) for name in field_names]
    pk = model._meta.pk
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(model._meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in fields),
        quote(pk.column),
    )
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, add=False), connection) for field in fields]
        + [pk.get_db_prep_value(obj.pk, connection)]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_case(
    model: type[models.Model], changes: Mapping[Any, Mapping[str, Any]], **where: Any
) -> int:
    """One UPDATE giving each row, by primary key, values of its own (a CASE per column),
    to the rows that also match `where` (column = value). Returns how many rows changed.
    Django's Case/When resolves a Q per row and column: about 0.6 s of CPU for 100 rows of
    four columns here, against 15 to 35 ms for this, the database's work included."""
    if not changes:
        return 0
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    keys = {key: pk.get_db_prep_value(key, connection) for key in changes}
    assignments: list[str] = []
    params: list[Any] = []
    for name in sorted({name for values in changes.values() for name in values}):
        field = model._meta.get_field(name)
        pairs = [(keys[key], values[name]) for key, values in changes.items() if name in values]
        column = quote(field.column)
        whens = " ".join(["WHEN %s THEN %s"] * len(pairs))
        assignments.append(f"{column} = CASE {quote(pk.column)} {whens} ELSE {column} END")
        for key, value in pairs:
            params += [key, field.get_db_prep_save(value, connection)]
    conditions = [f"{quote(pk.column)} IN ({', '.join(['%s'] * len(keys))})"]
    params += keys.values()
    for name, value in where.items():
        field = model._meta.get_field(name)
        conditions.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_value(value, connection))
    sql = "UPDATE {} SET {} WHERE {}".format(
        quote(model._meta.db_table), ", ".join(assignments), " AND ".join(conditions)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
