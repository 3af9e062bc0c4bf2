"""INSERT and UPDATE of model instances without the ORM's query building.

``Model.save()`` and ``bulk_create()`` build their statement through the query compiler every
time: about 0.3 ms of Python for a statement PostgreSQL runs in 0.1 ms. Every case step writes
the same few rows (the case, its new task and timer rows, its events, an access-log entry), so
the step path writes them through here. Values are prepared by the model's own fields
(``pre_save`` for defaults and auto times, ``get_db_prep_save`` for the backend), so the stored
row is the one ``save()`` would write; none of these models has save signals or an overridden
``save``. Works on PostgreSQL and SQLite (both return ids from INSERT).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

# (model, alias, connection alias) -> each concrete field's converters, in field order
_CONVERTERS: dict[tuple[Any, str, str], list[tuple[Any, list[Any]]]] = {}


def columns(fields: Iterable[models.Field[Any, Any]], alias: str = "") -> str:
    """The fields' columns, quoted and comma-separated (statements name their columns: a
    prepared ``SELECT *`` fails once a migration adds one)."""
    prefix = f"{alias}." if alias else ""
    quote = connection.ops.quote_name
    return ", ".join(prefix + quote(f.column) for f in fields)


# The open ``writes_together`` block of this thread: the INSERTs whose ids it sets at its end.
_together = threading.local()


@contextmanager
def writes_together() -> Iterator[None]:
    """On PostgreSQL, send the statements made inside without waiting for each one's answer
    (psycopg's pipeline mode): the server still runs them one by one, in their order, and a
    statement whose rows are read (a SELECT, the ids of ``insert_many(..., ids_at_once=True)``)
    waits for every one before it, so a read inside sees every write before it, as it would
    without the block. An error surfaces at the next read or at the block's end, inside the
    step's transaction, which it rolls back. The ids of the other rows inserted inside are set
    at the block's end. Code inside must not read a statement's ``rowcount`` (−1 until its
    answer comes), as ``Model.save()`` does: put only this module's writes, ``step_sql``'s and
    reads inside. A block inside another is part of it; elsewhere than PostgreSQL the
    statements simply run one by one."""
    if connection.vendor != "postgresql" or getattr(_together, "inserted", None) is not None:
        yield
        return
    connection.ensure_connection()
    inserted: list[tuple[Any, Sequence[models.Model]]] = []
    _together.inserted = inserted
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            yield
        for cursor, rows in inserted:  # answered by the pipeline's closing Sync
            _set_ids(rows, cursor.fetchall())
    finally:
        _together.inserted = None
        for cursor, _ in inserted:
            cursor.close()


def insert(row: models.Model) -> None:
    """INSERT one new model instance and set its id."""
    insert_many([row])


def insert_many(rows: Sequence[models.Model], *, ids_at_once: bool = False) -> None:
    """INSERT new instances of one model in one statement and set their ids (inside
    ``writes_together``, at its end, unless ``ids_at_once``: the caller reads them)."""
    if not rows:
        return
    meta = rows[0]._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    quote = connection.ops.quote_name
    one = f"({', '.join(['%s'] * len(fields))})"
    sql = (f"INSERT INTO {quote(meta.db_table)} ({columns(fields)}) "
           f"VALUES {', '.join([one] * len(rows))} RETURNING {quote(meta.pk.column)}")
    values = [f.get_db_prep_save(f.pre_save(row, add=True), connection)
              for row in rows for f in fields]
    inserted = getattr(_together, "inserted", None)
    if inserted is not None and not ids_at_once:
        cursor = connection.cursor()
        cursor.execute(sql, values)
        inserted.append((cursor, rows))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        _set_ids(rows, cursor.fetchall())


def _set_ids(rows: Sequence[models.Model], found: Sequence[tuple[Any, ...]]) -> None:
    for row, (pk,) in zip(rows, found, strict=True):  # RETURNING keeps the VALUES order
        row.pk = pk
        row._state.adding, row._state.db = False, connection.alias


def update(row: models.Model) -> None:
    """UPDATE every column of a saved instance (what ``row.save()`` does for a stored row)."""
    meta = row._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(meta.db_table)} SET "
           f"{', '.join(f'{quote(f.column)} = %s' for f in fields)} "
           f"WHERE {quote(meta.pk.column)} = %s")
    values = [f.get_db_prep_save(f.pre_save(row, add=False), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, row.pk])


def from_row(model: type[models.Model], values: Sequence[Any], alias: str = "") -> models.Model:
    """A model instance from its concrete fields' column values, in ``columns()`` order, with
    the converters the ORM would apply (JSON decoded, SQLite's dates parsed)."""
    converted = []
    for (expression, converters), stored in zip(_converters(model, alias), values, strict=True):
        value = stored
        for convert in converters:
            value = convert(value, expression, connection)
        converted.append(value)
    return model.from_db(connection.alias, _attnames(model), converted)


def _attnames(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _converters(model: type[models.Model], alias: str) -> list[tuple[Any, list[Any]]]:
    """Each concrete field's column expression and converters (asked once per model)."""
    key = (model, alias, connection.alias)
    found = _CONVERTERS.get(key)
    if found is None:
        found = []
        for f in model._meta.concrete_fields:
            expression = f.get_col(alias or model._meta.db_table)
            found.append((expression, [*connection.ops.get_db_converters(expression),
                                       *f.get_db_converters(connection)]))
        _CONVERTERS[key] = found
    return found


def read_together(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
    """Run read statements in their order and return each one's rows: on PostgreSQL in one round
    trip (psycopg's pipeline mode; the BEGIN of a transaction not yet begun goes with them).
    Each statement still runs on its own, with its own snapshot, so a statement after a
    ``FOR UPDATE`` sees what the lock's previous holder committed, as it would if sent alone."""
    if connection.vendor != "postgresql":
        results = []
        for sql, params in statements:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results
    connection.ensure_connection()
    cursors = [connection.cursor() for _ in statements]
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)
        # read once the pipeline is closed: its one Sync brought every answer (read inside,
        # the first read would wait for the answers and closing it for the Sync again)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
