"""The heatmap's figures: for each element of a process version where a case spends time, how
long the tasks there took (median and 90th percentile) and how many clocks breached while a
case was at it, for one force or all of them and a period.

Two SQL statements, whatever the number of cases: the durations with their percentiles (the
completed task rows counted per step and minute, then running counts over those groups,
portable to SQLite and PostgreSQL) and the breaches
placed at the tasks open when the limit passed. No workflow is loaded. Which rows count is
defined once in ``webapp.cases.element_rows``, which the case list's filters read too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count
from django.db.models.functions import Floor
from django.urls import reverse

from engine.diagram_elements import TASK, timed_elements
from webapp.cases.element_rows import (
    ElementScope,
    breached_clocks,
    completed_at_element,
    open_at_breach,
    task_seconds,
)
from webapp.processes.registry import definition_for_id

BANDS = 5  # colour bands of the median time, lightest (shortest) first
PASSED, BREACHED_AT = "passed", "breached"
HOUR, DAY = 3600, 86400


@dataclass(frozen=True)
class ElementFigures:
    """One element's figures; ``band`` 1..BANDS by its median against the longest median of the
    page (0: no completed task)."""

    bpmn_id: str
    name: str
    kind: str
    process: str
    completed: int = 0
    median: float | None = None  # seconds
    p90: float | None = None
    breaches: int = 0
    breached_cases: int = 0
    band: int = 0

    @property
    def median_words(self) -> str:
        return span_words(self.median)

    @property
    def p90_words(self) -> str:
        return span_words(self.p90)

    @property
    def is_task(self) -> bool:
        return self.kind == TASK


def span_words(seconds: float | None) -> str:
    """A duration as people say it: "40 minutes", "5 hours", "3.5 days"; "–" when none."""
    if seconds is None:
        return "–"
    if seconds >= 2 * DAY:
        days = round(seconds / DAY, 1)
        return f"{days:g} days"
    if seconds >= HOUR:
        hours = round(seconds / HOUR)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def durations(scope: ElementScope) -> dict[str, tuple[int, float, float]]:
    """bpmn id -> (tasks completed, median seconds, 90th percentile seconds), nearest rank: the
    value at rank ceil(p × n) of the sorted durations, to the whole minute below.

    The task rows are first counted per step and minute (a hash aggregate, no sort of the
    rows); the running count over those few groups then finds the minute holding each rank."""
    # half a second added: SQLite's julian days put 4 hours a few microseconds short of it
    minutes = Floor((task_seconds() + 0.5) / 60)
    per_minute = (completed_at_element(scope).order_by().annotate(mins=minutes)
                  .values("bpmn_id", "mins").annotate(k=Count("bpmn_id")))
    sql, params = per_minute.query.sql_with_params()
    # ceil(n / 2) and ceil(9n / 10) in integer arithmetic (both databases)
    outer = ("SELECT g.bpmn_id, MAX(g.n), "  # noqa: S608 - the ORM's query, values bound
             "MIN(CASE WHEN g.cum >= (g.n + 1) / 2 THEN g.mins END), "
             "MIN(CASE WHEN g.cum >= (9 * g.n + 9) / 10 THEN g.mins END) FROM ("
             "SELECT c.bpmn_id, c.mins, "
             "CAST(SUM(c.k) OVER (PARTITION BY c.bpmn_id ORDER BY c.mins) AS INTEGER) AS cum, "
             "CAST(SUM(c.k) OVER (PARTITION BY c.bpmn_id) AS INTEGER) AS n "
             f"FROM ({sql}) c) g GROUP BY g.bpmn_id")
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        return {row[0]: (int(row[1]), 60.0 * float(row[2]), 60.0 * float(row[3]))
                for row in cursor.fetchall()}


def breaches(scope: ElementScope, now: datetime) -> dict[str, tuple[int, int]]:
    """bpmn id -> (breaches, cases) of the clocks breached while a task at it was open."""
    rows = (breached_clocks(scope, now).filter(open_at_breach("case__tasks__"))
            .order_by().values("case__tasks__bpmn_id")
            .annotate(n=Count("id", distinct=True), cases=Count("case_id", distinct=True)))
    return {r["case__tasks__bpmn_id"]: (r["n"], r["cases"]) for r in rows}


def element_figures(scope: ElementScope, now: datetime) -> list[ElementFigures]:
    """Every timed element of the version with its figures, in the diagram's order."""
    times = durations(scope)
    breached = breaches(scope, now)
    longest = max((m for _, m, _ in times.values()), default=0.0)
    out = []
    for element in timed_elements(definition_for_id(scope.version_id)):
        n, median, p90 = times.get(element.bpmn_id, (0, None, None))
        b, cases = breached.get(element.bpmn_id, (0, 0))
        band = (max(1, math.ceil(BANDS * median / longest)) if median is not None and longest
                else (1 if median is not None else 0))
        out.append(ElementFigures(element.bpmn_id, element.name, element.kind, element.process,
                                  n, median, p90, b, cases, band))
    return out


def cases_link(scope: ElementScope, scheme: str, bpmn_id: str, what: str) -> str:
    """The case list showing the cases behind one element's figure (``PASSED``: the cases whose
    task there was completed in the period; ``BREACHED_AT``: those whose clock breached while
    they were at it)."""
    query = {"scheme": scheme, "element": bpmn_id, "element_in": what,
             "version": str(scope.version_id), **scope.period.query()}
    return f"{reverse('cases:cases')}?{urlencode(query)}"


def diagram_data(figures: list[ElementFigures], links: dict[str, dict[str, str]]) -> dict[
        str, Any]:
    """What the diagram's script reads: each element's band and badge words (the text is put
    in the page with ``textContent``, never as HTML)."""
    return {"elements": [
        {"id": f.bpmn_id, "band": f.band, "name": f.name,
         "time": (f"Median {f.median_words}, 90% within {f.p90_words}" if f.completed
                  else "No completed tasks" if f.is_task else "Not recorded"),
         "breaches": f.breaches,
         "breach_words": f"{f.breaches} breach{'es' if f.breaches != 1 else ''}",
         "links": links.get(f.bpmn_id, {})}
        for f in figures]}
