"""Reads for clock displays: a case's clocks with their pauses, its pending extensions, and a
force's open clock alerts. (Panels that also read cases are in ``webapp.cases.oversight``.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import OuterRef, QuerySet, Subquery

from webapp.clocks.models import CaseClock, ClockAlert, ClockEvent, ExtensionRequest
from webapp.forces.models import Membership
from webapp.processes.registry import scheme_for

if TYPE_CHECKING:
    from webapp.cases.models import Case


@dataclass(frozen=True)
class ClockView:
    """A clock row with its pauses; ``declared``: the case's process version still declares
    the clock (if not, it is shown with its stored label but no longer changes or escalates)."""

    row: CaseClock
    pauses: list[tuple[datetime, datetime | None, str]]
    declared: bool = True


def case_clocks(case: Case) -> list[ClockView]:
    events = list(ClockEvent.objects.filter(case=case, kind__in=["paused", "resumed"])
                  .order_by("at", "pk"))
    return clock_views(case, CaseClock.objects.filter(case=case).order_by("started_at", "pk"),
                       events)


def clock_views(case: Case, rows: Iterable[CaseClock],
                events: list[ClockEvent]) -> list[ClockView]:
    """The case's clock ``rows`` (by start) with their pauses from ``events`` (the case's
    'paused' and 'resumed' clock events, by time)."""
    scheme = scheme_for(case.version_id)
    views = []
    for row in rows:
        pauses: list[tuple[datetime, datetime | None, str]] = []
        for event in (e for e in events if e.clock == row.clock):
            if event.kind == "paused":
                pauses.append((event.at, None, event.reason))
            elif pauses and pauses[-1][1] is None:
                pauses[-1] = (pauses[-1][0], event.at, pauses[-1][2])
        views.append(ClockView(row, pauses, scheme.clock(row.clock) is not None))
    return views


def with_clock_label(rows: QuerySet) -> QuerySet:
    """Each row's clock label as the case's clock row stores it (``clock_label``), and the
    clock's state now: ``clock_due_at``, ``clock_stopped_at``, ``clock_paused_since``."""
    def clock(column: str) -> Subquery:
        return Subquery(CaseClock.objects.filter(
            case_id=OuterRef("case_id"), clock=OuterRef("clock")).values(column)[:1])
    return rows.annotate(clock_label=clock("label"), clock_due_at=clock("due_at"),
                         clock_stopped_at=clock("stopped_at"),
                         clock_paused_since=clock("paused_since"))


def pending_extensions(case: Case) -> QuerySet[ExtensionRequest]:
    return with_clock_label(case.extensions.filter(approved__isnull=True)
                             .select_related("requested_by"))


def labelled_extensions(pending: list[ExtensionRequest],
                        clocks: list[ClockView]) -> list[ExtensionRequest]:
    """The case page's pending extensions, as it read them, each with ``clock_label`` from the
    clocks it has already read (no subquery per label)."""
    labels = {view.row.clock: view.row.label for view in clocks}
    for row in pending:
        row.clock_label = labels.get(row.clock)
    return pending


# The decision maker's panels show each case's reference: they do not read its stored state.
def open_alerts(membership: Membership) -> QuerySet[ClockAlert]:
    return with_clock_label(
        ClockAlert.objects.filter(force_id=membership.force_id, acknowledged_at__isnull=True)
        .select_related("case").defer("case__state").order_by("-at"))[:50]
