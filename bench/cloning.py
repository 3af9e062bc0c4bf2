"""SQL that clones template cases into a large case load, inside PostgreSQL.

Every table with a ``case`` foreign key is cloned generically from the model metadata, so new
derived rows (clocks, alerts, incidents…) come along without changes here: each clone gets its
own case id and every timestamp shifted by the clone's offset. Ready task rows are cloned
unassigned; `assign_ready` then hands every other one to an officer pool.
Requires `django.setup()` against the benchmark database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, Model
from psycopg import sql

from webapp.cases.models import Case, HumanTask
from webapp.forces.models import Force

SLOTS = 1000  # clones map onto templates through this many slots


def execute(statement: str | sql.Composable, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def one(statement: str | sql.Composable, params: list[Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()


def _table(model: type[Model]) -> sql.Identifier:
    return sql.Identifier(model._meta.db_table)


def _columns(model: type[Model], src: str, shift: str,
             overrides: dict[str, sql.Composable]) -> tuple[sql.Composed, sql.Composed]:
    """Column list and SELECT list copying ``src``'s row, timestamps moved by ``shift``."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        column = field.column
        if column in overrides:
            value = overrides[column]
        elif field.primary_key:
            continue
        elif isinstance(field, DateTimeField):
            value = sql.SQL("{}.{} + {}").format(sql.Identifier(src), sql.Identifier(column),
                                                 sql.SQL(shift))
        else:
            value = sql.SQL("{}.{}").format(sql.Identifier(src), sql.Identifier(column))
        names.append(sql.Identifier(column))
        values.append(value)
    return sql.SQL(", ").join(names), sql.SQL(", ").join(values)


def case_tables() -> list[type[Model]]:
    """Models whose rows belong to one case (a ``case`` foreign key), tasks first."""
    models = [rel.related_model for rel in Case._meta.related_objects
              if rel.one_to_many and rel.field.column == "case_id"]
    return sorted(set(models), key=lambda m: (m is not HumanTask, m._meta.db_table))


def map_slots(clones: int, ready_share: float, templates_up_to: int | None = None,
              shares: Mapping[str, float] | None = None) -> None:
    """Pick templates for ``clones`` clones so that they hold about ``ready_share`` ready task
    rows each; the clones' offsets: open ones opened up to 40 days ago, closed up to 3 years.
    With ``templates_up_to``, only the cases up to that id are templates (not earlier clones);
    with ``shares`` (scheme -> share of the clones), each scheme's templates fill that share of
    the open and of the closed slots."""
    execute(sql.SQL("""CREATE TEMP TABLE bench_tmpl AS
        SELECT c.id AS tcase, c.force_id, c.status = 'open' AS is_open, c.scheme,
               (SELECT count(*) FROM {task} h
                WHERE h.case_id = c.id AND h.state = 'ready') AS ready
        FROM {case} c WHERE c.id <= %s""").format(task=_table(HumanTask), case=_table(Case)),
            [templates_up_to if templates_up_to is not None else 2**62])
    with connection.cursor() as cursor:
        cursor.execute("SELECT tcase, is_open, ready, scheme FROM bench_tmpl ORDER BY tcase")
        rows = cursor.fetchall()
    open_ = [r for r in rows if r[1] and r[2] > 0]
    closed = [r for r in rows if not r[1]]
    avg_ready = sum(r[2] for r in open_) / len(open_)
    open_slots = min(SLOTS - 1, round(SLOTS * ready_share / avg_ready))
    slots = _mixed(open_, open_slots, shares) + _mixed(closed, SLOTS - open_slots, shares)
    execute("CREATE TEMP TABLE bench_slot (s int PRIMARY KEY, tcase bigint)")
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_slot VALUES (%s, %s)", list(enumerate(slots)))
    base = one(sql.SQL("SELECT max(id) FROM {}").format(_table(Case)))[0]
    execute("SELECT setseed(0.42)")
    execute("""CREATE TEMP TABLE bench_clone AS
        SELECT g, %s + g AS case_id, t.tcase, t.force_id, t.is_open,
               make_interval(secs => -86400 * CASE WHEN t.is_open THEN random() * 40
                                                   ELSE 45 + random() * 1050 END) AS shift
        FROM generate_series(1, %s) g
        JOIN bench_slot s ON s.s = g %% %s
        JOIN bench_tmpl t ON t.tcase = s.tcase""", [base, clones, SLOTS])
    execute("CREATE INDEX ON bench_clone (tcase)")
    execute("ANALYZE bench_clone")


def _mixed(templates: list[tuple[Any, ...]], count: int,
           shares: Mapping[str, float] | None) -> list[int]:
    """``count`` template case ids taken round robin, each scheme's templates (the rows' last
    column) filling its share of the slots when ``shares`` are given."""
    by_scheme: dict[str, list[int]] = {}
    for row in templates:
        by_scheme.setdefault(row[-1] if shares else "", []).append(row[0])
    weights = {scheme: (shares or {}).get(scheme, 0.0) if shares else 1.0
               for scheme in by_scheme}
    weights = {scheme: w for scheme, w in weights.items() if w > 0}
    total = sum(weights.values())
    taken = dict.fromkeys(weights, 0)
    picked = []
    for _ in range(count):  # the scheme furthest behind its share takes the next slot
        scheme = min(weights, key=lambda k: taken[k] / weights[k] * total)
        ids = by_scheme[scheme]
        picked.append(ids[taken[scheme] % len(ids)])
        taken[scheme] += 1
    return picked


def clone_cases() -> int:
    """Case rows, with ids fixed in advance (base + g) and references no live case can take
    (numbered by the clone's case id, so a second round of clones takes new ones)."""
    reference = sql.SQL("f.code || '-' || to_char(c.opened_at + cl.shift, 'YYYY') || '-' "
                        "|| (100000 + cl.case_id)")
    names, values = _columns(Case, "c", "cl.shift",
                             {"id": sql.SQL("cl.case_id"), "reference": reference,
                              "force_id": sql.SQL("cl.force_id")})
    count = execute(sql.SQL("""INSERT INTO {case} ({names}) SELECT {values}
        FROM bench_clone cl JOIN {case} c ON c.id = cl.tcase JOIN {force} f ON f.id = cl.force_id
        """).format(case=_table(Case), force=_table(Force), names=names, values=values))
    execute(sql.SQL("SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                    "(SELECT max(id) FROM {case}))").format(
        name=sql.Literal(Case._meta.db_table), case=_table(Case)))
    return count


def clone_rows(model: type[Model]) -> int:
    """Every row of ``model`` that belongs to a template, once per clone."""
    overrides = {"case_id": sql.SQL("cl.case_id")}
    if any(f.column == "force_id" for f in model._meta.concrete_fields):
        overrides["force_id"] = sql.SQL("cl.force_id")  # the clone's force (bench_clone)
    if model is HumanTask:
        overrides["assignee_id"] = sql.SQL(
            "CASE WHEN h.state = 'ready' THEN NULL ELSE h.assignee_id END")
    names, values = _columns(model, "h", "cl.shift", overrides)
    return execute(sql.SQL("""INSERT INTO {table} ({names}) SELECT {values}
        FROM bench_clone cl JOIN {table} h ON h.case_id = cl.tcase""").format(
        table=_table(model), names=names, values=values))


def top_up_tasks(target: int) -> int:
    """Finished task rows on closed clones (cases that went round again) up to ``target``."""
    extra = target - one(sql.SQL("SELECT count(*) FROM {}").format(_table(HumanTask)))[0]
    if extra <= 0:
        return 0
    names, values = _columns(HumanTask, "d", "c.shift", {
        "case_id": sql.SQL("c.case_id"), "force_id": sql.SQL("c.force_id"),
        "engine_task_id": sql.SQL("gen_random_uuid()")})
    return execute(sql.SQL("""
        WITH done AS (
            SELECT h.*, row_number() OVER (PARTITION BY h.case_id ORDER BY h.id) - 1 AS ord,
                   count(*) OVER (PARTITION BY h.case_id) AS cnt
            FROM {task} h JOIN bench_tmpl t ON t.tcase = h.case_id
            WHERE NOT t.is_open AND h.state <> 'ready'),
        closed AS (
            SELECT cl.*, row_number() OVER (ORDER BY cl.g) - 1 AS r, count(*) OVER () AS nc
            FROM bench_clone cl WHERE NOT cl.is_open)
        INSERT INTO {task} ({names}) SELECT {values}
        FROM closed c
        CROSS JOIN LATERAL generate_series(
            1, %s / c.nc + CASE WHEN c.r < %s %% c.nc THEN 1 ELSE 0 END) j
        JOIN done d ON d.case_id = c.tcase AND d.ord = j %% d.cnt""").format(
        task=_table(HumanTask), names=names, values=values), [extra, extra])


def ready_counts(after_case: int) -> list[tuple[int, str, int]]:
    """(force id, role, ready rows) over the clones."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("""SELECT force_id, role, count(*) FROM {task}
            WHERE state = 'ready' AND case_id > %s GROUP BY 1, 2""").format(
            task=_table(HumanTask)), [after_case])
        return cursor.fetchall()


def assign_ready(pools: list[tuple[int, str, int, int]], after_case: int) -> int:
    """Give every other ready clone task to an officer of its force and role, round robin.

    ``pools`` holds (force id, role, index in pool, user id) rows.
    """
    execute("CREATE TEMP TABLE bench_pool (force_id bigint, role text, idx int, user_id bigint)")
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_pool VALUES (%s, %s, %s, %s)", pools)
    return execute(sql.SQL("""UPDATE {task} h SET assignee_id = p.user_id
        FROM (SELECT id, force_id, role,
                     row_number() OVER (PARTITION BY force_id, role ORDER BY id) AS rn
              FROM {task} WHERE state = 'ready' AND case_id > %s) r
        JOIN (SELECT force_id, role, count(*) AS n FROM bench_pool GROUP BY 1, 2) pc
          ON pc.force_id = r.force_id AND pc.role = r.role
        JOIN bench_pool p ON p.force_id = r.force_id AND p.role = r.role
         AND p.idx = (r.rn / 2) %% pc.n
        WHERE h.id = r.id AND r.rn %% 2 = 1""").format(task=_table(HumanTask)), [after_case])


def settle() -> None:
    """VACUUM (ANALYZE) the loaded tables, as autovacuum would, then CHECKPOINT, so that
    neither lands inside a measurement."""
    tables = sql.SQL(", ").join(_table(m) for m in [Case, *case_tables()])
    execute(sql.SQL("VACUUM (ANALYZE) {}").format(tables))
    execute("CHECKPOINT")


def counts() -> dict[str, int]:
    """Rows per case table, open cases, ready and unassigned tasks, and the database size."""
    result = {"cases": one(sql.SQL("SELECT count(*) FROM {}").format(_table(Case)))[0]}
    result["open cases"] = one(sql.SQL("SELECT count(*) FROM {} WHERE status = 'open'")
                               .format(_table(Case)))[0]
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT scheme, count(*) FROM {} GROUP BY 1 ORDER BY 1")
                       .format(_table(Case)))
        result.update({f"{scheme} cases": n for scheme, n in cursor.fetchall()})
    for model in case_tables():
        result[model._meta.verbose_name_plural] = one(
            sql.SQL("SELECT count(*) FROM {}").format(_table(model)))[0]
    result["ready tasks"], result["unassigned ready tasks"] = one(sql.SQL(
        "SELECT count(*), count(*) FILTER (WHERE assignee_id IS NULL) FROM {} "
        "WHERE state = 'ready'").format(_table(HumanTask)))
    result["database bytes"] = one("SELECT pg_database_size(current_database())")[0]
    return result
