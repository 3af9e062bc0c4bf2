"""The clock rows a case step reads, as one SQL statement (see ``webapp.cases.step_sql`` for
why the step's reads are written as SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from webapp.clocks.models import AlertKind, CaseClock, ClockAlert
from webapp.row_sql import columns, from_row


def clock_rows_sql(case_id: str = "%s") -> tuple[str, list[Any]]:
    """The statement of ``clock_rows`` for the case ``case_id`` (a placeholder or a scalar
    subquery, whose parameters follow the ones returned)."""
    alerts = ClockAlert._meta.db_table
    given = (f"EXISTS (SELECT 1 FROM {alerts} a WHERE a.case_id = c.case_id "
             "AND a.clock = c.clock AND a.kind = %s)")
    fields = columns(CaseClock._meta.concrete_fields, "c")
    sql = (f"SELECT {fields}, {given} AS warned, {given} AS breach_alerted "
           f"FROM {CaseClock._meta.db_table} c WHERE c.case_id = {case_id} ORDER BY c.id")
    return sql, [AlertKind.WARNING.value, AlertKind.BREACH.value]


def clock_from_row(row: Sequence[Any]) -> CaseClock:
    """A row of ``clock_rows_sql`` as a clock row with its two alert flags."""
    clock = from_row(CaseClock, row[:-2])
    clock.warned, clock.breach_alerted = bool(row[-2]), bool(row[-1])  # SQLite returns 0/1
    return clock


def clock_rows(case_id: int) -> list[CaseClock]:
    """The case's clock rows, each with ``warned`` and ``breach_alerted``: whether that alert
    was already given (one statement for both)."""
    sql, params = clock_rows_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, case_id])
        return [clock_from_row(row) for row in cursor.fetchall()]
