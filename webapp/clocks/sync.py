"""Start and stop clocks as stages begin and end; rewrite clock rows from their events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from engine import ProcessInstance
from webapp.cases.models import Case
from webapp.clocks.arithmetic import ClockEventData, ClockSnapshot, compute
from webapp.clocks.models import CaseClock, ClockEvent, ClockEventKind
from webapp.clocks.specs import BY_NAME, clocks_for

# While a clock is paused its escalation timer must not fire: park it far ahead.
PARKED = datetime(9999, 1, 1, tzinfo=UTC)


def _events_by_clock(case: Case) -> dict[str, list[ClockEvent]]:
    grouped: dict[str, list[ClockEvent]] = defaultdict(list)
    for event in ClockEvent.objects.filter(case=case).order_by("at", "pk"):
        grouped[event.clock].append(event)
    return grouped


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
    """Start clocks whose stage became active, stop those whose stage ended; return the rows."""
    profile = case.force.time_limit_profile
    active = set(instance.active_bpmn_ids())
    done = set(instance.completed_bpmn_ids())
    grouped = _events_by_clock(case)
    for spec, limit in clocks_for(profile):
        events = grouped.get(spec.name, [])
        started = any(e.kind == ClockEventKind.STARTED for e in events)
        stopped = any(e.kind == ClockEventKind.STOPPED for e in events)
        if not started and not closed and (spec.activity is None or spec.activity in active):
            events.append(ClockEvent.objects.create(
                case=case, clock=spec.name, kind=ClockEventKind.STARTED, at=now, limit=limit))
        elif started and not stopped and (
                closed or (spec.activity is not None and spec.activity in done
                           and spec.activity not in active)):
            events.append(ClockEvent.objects.create(
                case=case, clock=spec.name, kind=ClockEventKind.STOPPED, at=now))
        else:
            continue
        grouped[spec.name] = events
        align_timer(instance, spec.name, snapshot(events, now, profile.warning_fraction))
    return rewrite_clock_rows(case, grouped, now)


def rewrite_clock_rows(case: Case, grouped: dict[str, list[ClockEvent]],
                       now: datetime) -> list[CaseClock]:
    fraction = case.force.time_limit_profile.warning_fraction
    rows = []
    for name, events in grouped.items():
        snap = snapshot(events, now, fraction)
        if snap is None:
            continue
        row, _ = CaseClock.objects.update_or_create(case=case, clock=name, defaults={
            "force_id": case.force_id, "label": BY_NAME[name].label, "limit": snap.limit,
            "started_at": snap.started_at, "due_at": snap.due_at, "warn_at": snap.warn_at,
            "stopped_at": snap.stopped_at, "paused_since": snap.paused_since,
            "paused_seconds": snap.paused_seconds, "extensions": snap.extensions,
            "state": snap.state})
        rows.append(row)
    return rows
