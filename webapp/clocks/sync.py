"""Start and stop clocks as stages begin and end; rewrite clock rows from their events.

Which clocks a case has comes from the declarations of its own process version
(``scheme.json`` ``clocks``): each times one activity (or the whole case) against the value of
its limit parameter in the case's process data, so a case keeps the limits it started with and
a null limit means the clock does not run. A clock row whose name the version no longer
declares (renamed or removed in a new version, or the case was migrated) is still shown with
its stored label, but no longer escalates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from engine import ProcessInstance
from engine.scheme import Clock
from webapp import row_sql
from webapp.clocks import clock_sql
from webapp.clocks.arithmetic import ClockEventData, ClockSnapshot, compute, then
from webapp.clocks.models import CaseClock, ClockEvent, ClockEventKind, ClockState
from webapp.processes.deployments import case_limits
from webapp.processes.registry import scheme_for

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from webapp.cases.models import Case

# While a clock is paused its escalation timer must not fire: park it far ahead.
PARKED = datetime(9999, 1, 1, tzinfo=UTC)


def snapshot(events: Iterable[ClockEvent], now: datetime,
             warning_fraction: float) -> ClockSnapshot | None:
    return compute([ClockEventData(e.kind, e.at, e.limit, e.duration) for e in events], now,
                   warning_fraction)


def align_timer(instance: ProcessInstance, spec: Clock | None, snap: ClockSnapshot | None) -> bool:
    """Keep the clock's breach timer at the clock's due time (parked while paused);
    True if a timer was moved. A clock the version does not declare has no timer to move."""
    if spec is None or spec.breach_timer is None or snap is None or snap.stopped_at is not None:
        return False
    due = PARKED if snap.paused_since is not None else snap.due_at
    return due is not None and bool(instance.set_timer_due(spec.breach_timer, due))


def declared_clock(case: Case, clock: str) -> Clock | None:
    """The declaration of ``clock`` in the case's own process version (None: not declared,
    with a log line saying so: the clock is shown but no longer escalates)."""
    spec = scheme_for(case.version_id).clock(clock)
    if spec is None:
        _say_undeclared(case, clock)
    return spec


def _say_undeclared(case: Case, clock: str) -> None:
    log.warning("clock not declared by the case's process version, shown but no longer "
                "escalates: case=%s version=%s clock=%s", case.pk, case.version_id, clock)


def _limits(instance: ProcessInstance, clocks: Iterable[Clock]) -> dict[str, str]:
    """Clock name -> its limit as the case's process data holds it (unset limits left out)."""
    clocks = list(clocks)
    data = instance.data([c.limit for c in clocks])
    return {c.name: str(data[c.limit]) for c in clocks
            if isinstance(data.get(c.limit), str) and data[c.limit].strip()}


def clocks_sync(case: Case, instance: ProcessInstance, *, now: datetime, closed: bool,
                withdrawn: bool = False,
                clock_rows: list[CaseClock] | None = None) -> tuple[list[CaseClock], bool]:
    """Start clocks whose stage became active, stop those whose stage ended; return the rows,
    and whether a breach timer was moved in the instance. A clock a withdrawal stops did not
    run its course: it is "Stopped" (unless its limit had already passed: still breached).

    Reads the case's clock rows once; a clock that stops is settled from its row, which holds
    its pauses and extensions so far (the same as computing it from all its events). New rows
    and events are written in one statement each; the case lock is held, so nothing else writes
    these rows meanwhile. The force's warning fraction is read only by a step that starts or
    stops a clock (``case_limits`` keeps it for the rest of the step). ``clock_rows``: the
    case's clock rows, if the caller read them under the lock (``clock_sql.clock_rows``).
    """
    declared = scheme_for(case.version_id).clocks
    limits = {} if closed else _limits(instance, declared)
    active = set(instance.active_bpmn_ids())
    done = set(instance.completed_bpmn_ids())
    if clock_rows is None:
        clock_rows = clock_sql.clock_rows(case.pk)
    rows = {row.clock: row for row in clock_rows}
    events: list[ClockEvent] = []
    created: list[CaseClock] = []
    moved = False
    names = {spec.name for spec in declared}
    undeclared = [Clock(name, row.label, None, "", None) for name, row in rows.items()
                  if name not in names and row.stopped_at is None]
    for spec in undeclared:
        _say_undeclared(case, spec.name)
    for spec in (*declared, *undeclared):
        row = rows.get(spec.name)
        if row is None and not closed and spec.name in limits and (
                spec.activity is None or spec.activity in active):
            event = ClockEvent(case=case, clock=spec.name, kind=ClockEventKind.STARTED, at=now,
                               limit=limits[spec.name])
            row = _row(case, spec, snapshot([event], now, case_limits(case)[1]))
            created.append(row)
        elif row is not None and row.stopped_at is None and (
                closed or (spec.activity is not None and spec.activity in done
                           and spec.activity not in active) or not done.isdisjoint(spec.met_by)):
            kind = ClockEventKind.WITHDRAWN if withdrawn else ClockEventKind.STOPPED
            event = ClockEvent(case=case, clock=spec.name, kind=kind, at=now)
            _update(row, then(snapshot_of(row), ClockEventData(kind, now), now,
                              case_limits(case)[1]))
            row_sql.update(row)
            if not closed and spec.breach_timer and spec.activity in active:
                # met while its stage goes on: its breach timer must not fire any more
                moved = bool(instance.set_timer_due(spec.breach_timer, PARKED)) or moved
        else:
            if row is not None and row.state == ClockState.RUNNING and row.due_at and \
                    now > row.due_at:
                row.state = ClockState.BREACHED
                row_sql.update(row)
            continue
        events.append(event)
        rows[spec.name] = row
        if spec.name in names:
            moved = align_timer(instance, spec, snapshot_of(row)) or moved
    row_sql.insert_many(events)
    row_sql.insert_many(created)
    return list(rows.values()), moved


SNAPSHOT_FIELDS = ["limit", "started_at", "due_at", "warn_at", "stopped_at", "paused_since",
                   "paused_seconds", "extensions", "state"]


def _row(case: Case, spec: Clock, snap: ClockSnapshot | None) -> CaseClock:
    if snap is None:
        raise ValueError(f"clock {spec.name} of case {case.pk} never started")
    row = CaseClock(case=case, force_id=case.force_id, clock=spec.name, label=spec.label[:100])
    row.warned = row.breach_alerted = False  # a clock that starts now has given no alert
    _update(row, snap)
    return row


def _update(row: CaseClock, snap: ClockSnapshot | None) -> None:
    if snap is None:
        raise ValueError(f"clock {row.clock} of case {row.case_id} never started")
    for name in SNAPSHOT_FIELDS:
        setattr(row, name, getattr(snap, name))


def snapshot_of(row: CaseClock) -> ClockSnapshot:
    return ClockSnapshot(row.started_at, row.limit, row.due_at, row.warn_at, row.stopped_at,
                         row.paused_since, row.paused_seconds, list(row.extensions), row.state)


def recompute_clock(case: Case, clock: str, now: datetime) -> CaseClock:
    """Rewrite one clock's row from its events (the events are the source of truth)."""
    events = ClockEvent.objects.filter(case=case, clock=clock).order_by("at", "pk")
    snap = snapshot(events, now, case_limits(case)[1])
    row = CaseClock.objects.filter(case=case, clock=clock).first()
    if row is None:
        spec = scheme_for(case.version_id).clock(clock)
        row = _row(case, spec or Clock(clock, clock, None, "", None), snap)
    _update(row, snap)
    row.save()
    return row
