"""The statements every case step makes, as SQL.

A step (claim, complete, a timer firing) reads the same few rows every time. Built through the
ORM each of these statements cost 0.3–0.8 ms of Python against 0.07–0.15 ms for PostgreSQL to
run it (measured in bench/inbox.py's lifecycle); written once as SQL they are prepared by the
server and cost little more than the round trip. Reads use the models' own tables and columns,
so that rows come back as ordinary model instances (converters applied); the writes here close
or assign task rows, with values prepared by the models' fields. Other writes stay with the
ORM (appended rows go through ``webapp.row_sql``). Portable between PostgreSQL and SQLite
(SQLite has no row locks: a writing transaction locks the whole database instead).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models

from webapp.cases.models import Case, CaseTimer, HumanTask, TaskState
from webapp.clocks import clock_sql
from webapp.clocks.models import CaseClock
from webapp.forces.models import Membership, SchemeDeployment
from webapp.processes import deployments
from webapp.row_sql import columns, from_row, read_together


def _columns(model: type[models.Model], alias: str = "") -> str:
    return columns(model._meta.concrete_fields, alias)


def _for_update() -> str:
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


# Ids are 64-bit: a larger number from a URL matches nothing (the ORM does the same).
_ID_RANGE = range(-(2**63), 2**63)


def lock_case_of_task(task_id: int, force_id: int) -> Case | None:
    """Lock and return the case that holds task ``task_id``, if the task is in the force."""
    if task_id not in _ID_RANGE:
        return None
    sql = (f"SELECT {_columns(Case)} FROM {Case._meta.db_table} WHERE id = (SELECT case_id FROM "
           f"{HumanTask._meta.db_table} WHERE id = %s AND force_id = %s){_for_update()}")
    found = _rows(sql, [task_id, force_id])
    return from_row(Case, found[0]) if found else None


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    # a cursor, not ``Model.objects.raw``: raw reads the columns before the rows, which a
    # statement inside ``row_sql.writes_together`` has not got yet
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class TaskStepRows:
    """What a task step reads under its case's lock. ``clock_rows``, ``timer_rows`` and
    ``deployment`` (the case's force's deployment of its scheme) are read only for a step that
    moves the process (None otherwise)."""

    case: Case
    task: HumanTask | None
    clock_rows: list[CaseClock] | None = None
    timer_rows: list[CaseTimer] | None = None
    deployment: SchemeDeployment | None = None
    deployment_read: bool = False
    # (the case's owner then, their membership of its force or None), read with the task row
    # by a step that moves the process: the tasks it creates may go to the owner
    owner_work: tuple[int | None, Membership | None] | None = None


def lock_task_step(task_id: int, force_id: int, *, process: bool) -> TaskStepRows | None:
    """Lock the case holding task ``task_id`` (if the task is in the force) and read, after the
    lock is granted, the task row and (with ``process``) the case's clock and timer rows and
    its deployment: one round trip on PostgreSQL (``read_together``) instead of up to five.
    The reads come after the lock's statement, each with its own snapshot, so they show what
    the lock's previous holder committed."""
    if task_id not in _ID_RANGE:
        return None
    tasks = HumanTask._meta.db_table
    case_of_task = f"(SELECT case_id FROM {tasks} WHERE id = %s AND force_id = %s)"
    statements: list[tuple[str, list[Any]]] = [
        (f"SELECT {_columns(Case)} FROM {Case._meta.db_table} WHERE id = {case_of_task}"
         f"{_for_update()}", [task_id, force_id]),
        (f"SELECT {_columns(HumanTask)} FROM {tasks} WHERE id = %s", [task_id])]
    if process:  # the task row with the case owner's membership (a LEFT JOIN: no extra statement)
        statements[1] = (
            f"SELECT {_columns(HumanTask, 't')}, c.owner_id, {_columns(Membership, 'm')} "
            f"FROM {tasks} t JOIN {Case._meta.db_table} c ON c.id = t.case_id "
            f"LEFT JOIN {Membership._meta.db_table} m ON m.user_id = c.owner_id "
            f"AND m.force_id = c.force_id WHERE t.id = %s", [task_id])
        clocks, clock_params = clock_sql.clock_rows_sql(case_of_task)
        statements += [
            (clocks, [*clock_params, task_id, force_id]),
            (f"SELECT {_columns(CaseTimer)} FROM {CaseTimer._meta.db_table} "
             f"WHERE case_id = {case_of_task} ORDER BY id", [task_id, force_id]),
            (deployments.deployment_sql(
                f"(SELECT scheme FROM {Case._meta.db_table} WHERE id = {case_of_task})"),
             [force_id, task_id, force_id])]
    found = read_together(statements)
    if not found[0]:
        return None
    task_row = found[1][0] if found[1] else None
    width = len(HumanTask._meta.concrete_fields)
    rows = TaskStepRows(from_row(Case, found[0][0]),
                        from_row(HumanTask, task_row[:width]) if task_row else None)
    if process and task_row:
        owner = task_row[width + 1:]
        rows.owner_work = (task_row[width], from_row(Membership, owner, "m")
                           if owner[0] is not None else None)
    if process:
        rows.clock_rows = [clock_sql.clock_from_row(row) for row in found[2]]
        rows.timer_rows = [from_row(CaseTimer, row) for row in found[3]]
        rows.deployment = deployments.deployment_from_row(found[4][0]) if found[4] else None
        rows.deployment_read = True
    return rows


def task_in_force(task_id: int, force_id: int) -> HumanTask | None:
    """The task row, if it is in the force, read without a lock (one statement)."""
    if task_id not in _ID_RANGE:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_columns(HumanTask)} FROM {HumanTask._meta.db_table} "
                       "WHERE id = %s AND force_id = %s", [task_id, force_id])
        row = cursor.fetchone()
    return from_row(HumanTask, row) if row is not None else None


def task(task_id: int) -> HumanTask:
    """The task row as it is now (read after its case is locked)."""
    found = _rows(f"SELECT {_columns(HumanTask)} FROM {HumanTask._meta.db_table} WHERE id = %s",
                  [task_id])
    if not found:
        raise HumanTask.DoesNotExist(task_id)
    return from_row(HumanTask, found[0])


def timer_rows(case_id: int) -> list[CaseTimer]:
    return [from_row(CaseTimer, row) for row in _rows(
        f"SELECT {_columns(CaseTimer)} FROM {CaseTimer._meta.db_table} WHERE case_id = %s "
        "ORDER BY id", [case_id])]


def close_tasks(case_id: int, engine_ids: Collection[str], state: str, at: datetime,
                user_id: int | None) -> None:
    """Mark the case's READY rows for ``engine_ids`` as ``state`` (completed or cancelled)."""
    fields = HumanTask._meta
    prep_id = fields.get_field("engine_task_id").get_db_prep_value
    ids = [prep_id(uuid.UUID(str(e)), connection) for e in engine_ids]
    at_value = fields.get_field("completed_at").get_db_prep_value(at, connection)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {fields.db_table} SET state = %s, completed_at = %s, completed_by_id = %s "
            f"WHERE case_id = %s AND state = %s AND engine_task_id IN ({marks})",
            [state, at_value, user_id, case_id, TaskState.READY.value, *ids])


def set_assignee(task_id: int, user_id: int | None) -> None:
    """Give a task to an officer (None: back to the team queue); the case is locked."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {HumanTask._meta.db_table} SET assignee_id = %s WHERE id = %s",
                       [user_id, task_id])
