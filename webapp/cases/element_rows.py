"""Which task rows and clock breaches belong to a diagram element: one definition each, read by
the heatmap's figures (``webapp.reports.heatmap``) and by the case list's filters
(``CaseQuery``), so that a figure and the cases it opens always agree.

- *Time spent at* an element: a person's task at it that was completed in the period, from the
  moment the task was offered (created) to the moment it was completed. Cancelled tasks (the
  case was withdrawn or moved on by an event) are left out: nobody finished them.
- *Breached at* an element: a clock that reached its time limit in the period without being met
  (the dashboard's definition, ``webapp.clocks.periods``) while a task at the element was open:
  offered before the limit passed and not completed (or cancelled) by then. A case at several
  tasks at once (parallel checks) counts the breach at each of them; a breach while no task
  was open (the case waited for an event) is at no element.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, FloatField, Func, Q, QuerySet

from webapp.cases.models import HumanTask, TaskState
from webapp.clocks.models import CaseClock
from webapp.clocks.periods import BREACHED, Period, clock_filter


@dataclass(frozen=True)
class ElementScope:
    """Whose rows: the forces (None: every force), the version the cases are on now, and the
    period (of completions for times, of limits passing for breaches)."""

    force_ids: Sequence[int] | None
    version_id: int
    period: Period


class Seconds(Func):
    """Seconds from the second expression to the first, as a float (per database)."""

    arity = 2
    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, arg_joiner=") - julianday(",
                           template="((julianday(%(expressions)s)) * 86400.0)", **extra)


def completed_at_element(scope: ElementScope) -> QuerySet[HumanTask]:
    """The tasks whose time counts: completed in the period, on cases now on the version."""
    rows = HumanTask.objects.filter(state=TaskState.COMPLETED,
                                    completed_at__gte=scope.period.start,
                                    completed_at__lt=scope.period.end,
                                    case__version_id=scope.version_id)
    if scope.force_ids is not None:
        rows = rows.filter(force_id__in=list(scope.force_ids))
    return rows


def task_seconds() -> Seconds:
    return Seconds(F("completed_at"), F("created_at"))


def open_at_breach(prefix: str = "", breach: Any = None) -> Q:
    """Task rows (reached through ``prefix``, e.g. ``case__tasks__``) open when the clock row's
    limit (``breach``: its due time, by default ``F("due_at")`` of the clock row queried)
    passed."""
    at = F("due_at") if breach is None else breach
    return (Q(**{f"{prefix}created_at__lt": at})
            & (Q(**{f"{prefix}completed_at__isnull": True})
               | Q(**{f"{prefix}completed_at__gt": at})))


def breached_clocks(scope: ElementScope, now: datetime) -> QuerySet[CaseClock]:
    """The clocks breached in the period, on cases now on the version."""
    rows = CaseClock.objects.filter(clock_filter(BREACHED, now, scope.period),
                                    case__version_id=scope.version_id)
    if scope.force_ids is not None:
        rows = rows.filter(force_id__in=list(scope.force_ids))
    return rows
