"""The clock rows a case step reads, as one SQL statement (see ``webapp.cases.step_sql`` for
why the step's reads are written as SQL)."""

from __future__ import annotations

from webapp.clocks.models import AlertKind, CaseClock, ClockAlert
from webapp.row_sql import columns


def clock_rows(case_id: int) -> list[CaseClock]:
    """The case's clock rows, each with ``warned`` and ``breach_alerted``: whether that alert
    was already given (one statement for both)."""
    alerts = ClockAlert._meta.db_table
    given = (f"EXISTS (SELECT 1 FROM {alerts} a WHERE a.case_id = c.case_id "
             "AND a.clock = c.clock AND a.kind = %s)")
    fields = columns(CaseClock._meta.concrete_fields, "c")
    sql = (f"SELECT {fields}, {given} AS warned, {given} AS breach_alerted "
           f"FROM {CaseClock._meta.db_table} c WHERE c.case_id = %s ORDER BY c.id")
    rows = list(CaseClock.objects.raw(sql, [AlertKind.WARNING.value, AlertKind.BREACH.value,
                                            case_id]))
    for row in rows:  # SQLite returns 0/1
        row.warned, row.breach_alerted = bool(row.warned), bool(row.breach_alerted)
    return rows
