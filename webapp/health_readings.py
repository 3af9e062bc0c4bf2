"""What the database says about the service's background work, read cheaply (one indexed row
or count each) for the readiness probe and the metrics scrape: the timer sweep's heartbeat, the
timers that are due and how long the oldest has waited, open incidents, access-log entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from webapp.audit.models import ChainHead
from webapp.cases.models import Case, CaseStatus, Incident
from webapp.clocks.heartbeat import SWEEP
from webapp.clocks.models import WorkerHeartbeat


@dataclass(frozen=True)
class TimerBacklog:
    due: int  # open cases with a timer or clock warning whose time has come
    lag_seconds: float  # how long the oldest of them has waited (0 when none)


def heartbeat_ages(now: datetime) -> dict[str, float]:
    """Seconds since each background heartbeat (the timer sweep's: ``timer-sweep``)."""
    return {name: max(0.0, (now - at).total_seconds())
            for name, at in WorkerHeartbeat.objects.values_list("name", "at")}


def sweep_heartbeat_age(now: datetime) -> float | None:
    """Seconds since the timer sweep last ran, or None if it never has."""
    at = WorkerHeartbeat.objects.filter(name=SWEEP).values_list("at", flat=True).first()
    return None if at is None else max(0.0, (now - at).total_seconds())


def timer_backlog(now: datetime) -> TimerBacklog:
    due = Case.objects.filter(status=CaseStatus.OPEN, next_due_at__lte=now)
    oldest = due.order_by("next_due_at").values_list("next_due_at", flat=True).first()
    if oldest is None:
        return TimerBacklog(due=0, lag_seconds=0.0)
    return TimerBacklog(due=due.count(), lag_seconds=(now - oldest).total_seconds())


def open_incidents() -> int:
    return Incident.objects.filter(resolved_at__isnull=True).count()


def access_log_entries() -> int:
    """Entries ever appended to the access log (the chain head's count: committed ones only)."""
    return ChainHead.objects.values_list("count", flat=True).first() or 0
