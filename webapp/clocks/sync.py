"""Start and stop clocks as stages begin and end; rewrite clock rows from their events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from engine import ProcessInstance
from webapp.cases.models import Case
from webapp.clocks.arithmetic import ClockEventData, ClockSnapshot, compute
from webapp.clocks.models import CaseClock, ClockEvent, ClockEventKind, ClockState
from webapp.clocks.specs import BY_NAME, clocks_for

# While a clock is paused its escalation timer must not fire: park it far ahead.
PARKED = datetime(9999, 1, 1, tzinfo=UTC)


def snapshot(events: Iterable[ClockEvent], now: datetime,
             warning_fraction: float) -> ClockSnapshot | None:
    return compute([ClockEventData(e.kind, e.at, e.limit, e.duration) for e in events], now,
                   warning_fraction)


def align_timer(instance: ProcessInstance, clock: str, snap: ClockSnapshot | None) -> None:
    """Keep the clock's escalation timer at the clock's due time (parked while paused)."""
    spec = BY_NAME[clock]
    if spec.timer is None or snap is None or snap.stopped_at is not None:
        return
    due = PARKED if snap.paused_since is not None else snap.due_at
    if due is not None:
        instance.set_timer_due(spec.timer, due)


def clocks_sync(case: Case, instance: ProcessInstance, *, now: datetime,
                closed: bool) -> list[CaseClock]:
    """Start clocks whose stage became active, stop those whose stage ended; return the rows.

    Reads the case's clock rows once; only a clock that starts or stops reads its events.
    """
    profile = case.force.time_limit_profile
    active = set(instance.active_bpmn_ids())
    done = set(instance.completed_bpmn_ids())
    rows = {row.clock: row for row in CaseClock.objects.filter(case=case)}
    for spec, limit in clocks_for(profile):
        row = rows.get(spec.name)
        if row is None and not closed and (spec.activity is None or spec.activity in active):
            kind = ClockEventKind.STARTED
        elif row is not None and row.stopped_at is None and (
                closed or (spec.activity is not None and spec.activity in done
                           and spec.activity not in active)):
            kind = ClockEventKind.STOPPED
        else:
            if row is not None and row.state == ClockState.RUNNING and row.due_at and \
                    now > row.due_at:
                row.state = ClockState.BREACHED
                row.save(update_fields=["state"])
            continue
        ClockEvent.objects.create(case=case, clock=spec.name, kind=kind, at=now,
                                  limit=limit if kind == ClockEventKind.STARTED else "")
        rows[spec.name] = recompute_clock(case, spec.name, now)
        align_timer(instance, spec.name, snapshot_of(rows[spec.name]))
    return list(rows.values())


def snapshot_of(row: CaseClock) -> ClockSnapshot:
    return ClockSnapshot(row.started_at, row.limit, row.due_at, row.warn_at, row.stopped_at,
                         row.paused_since, row.paused_seconds, list(row.extensions), row.state)


def recompute_clock(case: Case, clock: str, now: datetime) -> CaseClock:
    """Rewrite one clock's row from its events (the events are the source of truth)."""
    events = ClockEvent.objects.filter(case=case, clock=clock).order_by("at", "pk")
    snap = snapshot(events, now, case.force.time_limit_profile.warning_fraction)
    if snap is None:
        raise ValueError(f"clock {clock} of case {case.pk} never started")
    row, _ = CaseClock.objects.update_or_create(case=case, clock=clock, defaults={
        "force_id": case.force_id, "label": BY_NAME[clock].label, "limit": snap.limit,
        "started_at": snap.started_at, "due_at": snap.due_at, "warn_at": snap.warn_at,
        "stopped_at": snap.stopped_at, "paused_since": snap.paused_since,
        "paused_seconds": snap.paused_seconds, "extensions": snap.extensions,
        "state": snap.state})
    return row
