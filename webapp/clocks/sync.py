"""Start and stop clocks as stages begin and end; rewrite clock rows from their events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from engine import ProcessInstance
from webapp import row_sql
from webapp.clocks import clock_sql
from webapp.clocks.arithmetic import ClockEventData, ClockSnapshot, compute
from webapp.clocks.models import CaseClock, ClockEvent, ClockEventKind, ClockState
from webapp.clocks.specs import BY_NAME, clocks_for

if TYPE_CHECKING:
    from webapp.cases.models import Case

# While a clock is paused its escalation timer must not fire: park it far ahead.
PARKED = datetime(9999, 1, 1, tzinfo=UTC)


def snapshot(events: Iterable[ClockEvent], now: datetime,
             warning_fraction: float) -> ClockSnapshot | None:
    return compute([ClockEventData(e.kind, e.at, e.limit, e.duration) for e in events], now,
                   warning_fraction)


def align_timer(instance: ProcessInstance, clock: str, snap: ClockSnapshot | None) -> bool:
    """Keep the clock's escalation timer at the clock's due time (parked while paused);
    True if a timer was moved."""
    spec = BY_NAME[clock]
    if spec.timer is None or snap is None or snap.stopped_at is not None:
        return False
    due = PARKED if snap.paused_since is not None else snap.due_at
    return due is not None and bool(instance.set_timer_due(spec.timer, due))


def clocks_sync(case: Case, instance: ProcessInstance, *, now: datetime,
                closed: bool) -> tuple[list[CaseClock], bool]:
    """Start clocks whose stage became active, stop those whose stage ended; return the rows,
    and whether an escalation timer was moved in the instance.

    Reads the case's clock rows once; a clock that stops also reads its events (pauses and
    extensions count). New rows and events are written in one statement each; the case lock is
    held, so nothing else writes these rows meanwhile.
    """
    profile = case.force.time_limit_profile
    active = set(instance.active_bpmn_ids())
    done = set(instance.completed_bpmn_ids())
    rows = {row.clock: row for row in clock_sql.clock_rows(case.pk)}
    events: list[ClockEvent] = []
    created: list[CaseClock] = []
    moved = False
    for spec, limit in clocks_for(profile):
        row = rows.get(spec.name)
        if row is None and not closed and (spec.activity is None or spec.activity in active):
            event = ClockEvent(case=case, clock=spec.name, kind=ClockEventKind.STARTED, at=now,
                               limit=limit)
            row = _row(case, spec.name, snapshot([event], now, profile.warning_fraction))
            created.append(row)
        elif row is not None and row.stopped_at is None and (
                closed or (spec.activity is not None and spec.activity in done
                           and spec.activity not in active)):
            event = ClockEvent(case=case, clock=spec.name, kind=ClockEventKind.STOPPED, at=now)
            history = [*ClockEvent.objects.filter(case=case, clock=spec.name).order_by("at", "pk"),
                       event]
            _update(row, snapshot(history, now, profile.warning_fraction))
            row_sql.update(row)
        else:
            if row is not None and row.state == ClockState.RUNNING and row.due_at and \
                    now > row.due_at:
                row.state = ClockState.BREACHED
                row_sql.update(row)
            continue
        events.append(event)
        rows[spec.name] = row
        moved = align_timer(instance, spec.name, snapshot_of(row)) or moved
    row_sql.insert_many(events)
    row_sql.insert_many(created)
    return list(rows.values()), moved


SNAPSHOT_FIELDS = ["limit", "started_at", "due_at", "warn_at", "stopped_at", "paused_since",
                   "paused_seconds", "extensions", "state"]


def _row(case: Case, clock: str, snap: ClockSnapshot | None) -> CaseClock:
    if snap is None:
        raise ValueError(f"clock {clock} of case {case.pk} never started")
    row = CaseClock(case=case, force_id=case.force_id, clock=clock, label=BY_NAME[clock].label)
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
    snap = snapshot(events, now, case.force.time_limit_profile.warning_fraction)
    row = CaseClock.objects.filter(case=case, clock=clock).first() or _row(case, clock, snap)
    _update(row, snap)
    row.save()
    return row
