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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Part:
    """One SELECT of a ``read_parts`` statement: the rows of ``models`` ((model, alias): the
    part's own table, then any tables it LEFT JOINs) from ``source`` (``FROM … WHERE …``,
    naming those aliases) with ``params``."""

    models: tuple[tuple[type[models.Model], str], ...]
    source: str
    params: tuple[Any, ...] = ()
    defer: tuple[str, ...] = ()  # "alias.field" not read (loaded if touched, as ORM defers)


def read_parts(parts: Sequence[Part]) -> list[list[tuple[models.Model | None, ...]]]:
    """The rows of several small, unrelated reads in one statement: each part's columns in
    positions of their own (a typed NULL in the other parts' rows: PostgreSQL matches a
    ``UNION``'s column types pair by pair), joined by ``UNION ALL``. One round trip and no
    query building, for a page that reads a handful of short row lists of one case (the ORM
    builds each statement in 0.3–1 ms of Python). Per part, one tuple per row with an
    instance of each of its models (None for a LEFT JOIN that found no row); rows come in no
    order: the caller sorts them. A part's ``source`` holds no values (they are ``params``):
    the statement is made once per shape of parts."""
    sql, starts = _parts_sql(tuple((part.models, part.source, part.defer) for part in parts))
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for part in parts for value in part.params])
        fetched = cursor.fetchall()
    found: list[list[tuple[models.Model | None, ...]]] = [[] for _ in parts]
    for row in fetched:
        n = row[0]
        at, instances = starts[n], []
        for model, alias in parts[n].models:
            key = (model, _deferred(alias, parts[n].defer))
            maker = _MAKERS.get(key) or _MAKERS.setdefault(key, _Maker(*key))
            values = row[at:at + maker.width]
            at += maker.width
            instances.append(None if values[0] is None else maker(values))
        found[n].append(tuple(instances))
    return found


_PARTS_SQL: dict[tuple[Any, ...], tuple[str, list[int]]] = {}
_MAKERS: dict[tuple[type[models.Model], frozenset[str]], _Maker] = {}


def _deferred(alias: str, defer: tuple[str, ...]) -> frozenset[str]:
    return frozenset(name.split(".", 1)[1] for name in defer if name.startswith(f"{alias}."))


def _read(model: type[models.Model], deferred: frozenset[str]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if f.name not in deferred]


def _parts_sql(shapes: tuple[tuple[Any, str, tuple[str, ...]], ...]) -> tuple[str, list[int]]:
    """The statement of parts of these (models, source, defer) and where each part's columns
    start; made once per shape (the connection's backend is the process's)."""
    if shapes not in _PARTS_SQL:
        fields = [[field for model, alias in owned
                   for field in _read(model, _deferred(alias, defer))]
                  for owned, _, defer in shapes]
        nulls = [[f"CAST(NULL AS {_cast_type(field)})" for field in own] for own in fields]
        selects = []
        for n, (owned, source, defer) in enumerate(shapes):
            own = ", ".join(columns(_read(model, _deferred(alias, defer)), alias)
                            for model, alias in owned)
            row = [*(null for other in nulls[:n] for null in other), own,
                   *(null for other in nulls[n + 1:] for null in other)]
            selects.append(f"SELECT {n}, {', '.join(row)} {source}")
        starts = [1 + sum(len(own) for own in fields[:n]) for n in range(len(shapes))]
        _PARTS_SQL[shapes] = (" UNION ALL ".join(selects), starts)
    return _PARTS_SQL[shapes]


def table(model: type[models.Model]) -> str:
    """The model's table, quoted."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], name: str) -> str:
    """The column of the model's field ``name``, quoted."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _cast_type(field: models.Field[Any, Any]) -> str:
    """The column's type for a CAST (a key's is the type of the column it refers to)."""
    return field.db_type(connection) or "text"


class _Maker:
    """Model instances from column values, with the converters the ORM would apply (JSON
    decoded, SQLite's dates parsed), looked up once per model (the process's backend)."""

    def __init__(self, model: type[models.Model], deferred: frozenset[str]) -> None:
        self.model, fields = model, _read(model, deferred)
        self.width, self.names = len(fields), [f.attname for f in fields]
        self.converters = [found for f, found in zip(model._meta.concrete_fields,
                                                     _converters(model, ""), strict=True)
                           if f.name not in deferred]

    def __call__(self, values: Sequence[Any]) -> models.Model:
        converted = []
        for stored, (expression, converters) in zip(values, self.converters, strict=True):
            value = stored
            for convert in converters:
                value = convert(value, expression, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.names, converted)


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
