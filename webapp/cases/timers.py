"""Fire what is due: BPMN timers and clock warnings, exactly once, through the case lock.

Due times live in the database (``CaseTimer`` rows, ``Case.next_due_at``). A sweep claims due
cases one at a time with ``SELECT … FOR UPDATE SKIP LOCKED`` (other sweepers skip a case that
is being fired), re-reads what is due under the lock, fires it through the same path as a user
action, and commits. A redelivered or duplicated sweep finds nothing left to fire, so each
timer fires once however many sweepers, workers or redeliveries there are.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from engine import EngineError, ProcessInstance
from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.cases import case_notices, step_sql
from webapp.cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    CaseTimer,
    EventKind,
    Incident,
    TimerKind,
)
from webapp.cases.sync import sync_derived_rows
from webapp.clocks.heartbeat import heartbeat_record
from webapp.clocks.models import AlertKind, ClockAlert
from webapp.errors import failure_summary, request_reference, with_reference
from webapp.processes.registry import definition_for_id

log = logging.getLogger(__name__)

MAX_FAILURES = 3
# Cases claimed and fired per transaction by a sweep.
BATCH = 10


@dataclass(frozen=True)
class LoadedCase:
    """A locked case's instance, ready for one step: what was due has fired.

    ``ready_before``: the user tasks ready before anything fired (the task rows mirror them);
    ``timer_rows``: the case's timer rows if they were read under the lock, else None;
    ``fired``: whether something was due (an alert given meanwhile changes the clock rows).
    """

    instance: ProcessInstance
    ready_before: tuple[str, ...]
    timer_rows: list[CaseTimer] | None
    fired: bool = False


def load_for_step(case: Case, *, now: datetime,
                  timer_rows: list[CaseTimer] | None = None) -> LoadedCase:
    """Load a locked case and fire whatever fell due before ``now`` that the sweep has not
    fired yet, so that the step about to be taken cannot cancel a timer or a warning that is
    owed (a completed stage would cancel its boundary timer and lose the escalation).

    ``timer_rows``: the case's timer rows, if the caller read them under the lock.

    Raises EngineError; the caller turns it into its own error and rolls back.
    """
    instance = ProcessInstance.load(definition_for_id(case.version_id), case.state)
    ready_before = instance.ready_task_ids()
    due = case.next_due_at is not None and case.next_due_at <= now
    if due:
        timer_rows = step_sql.timer_rows(case.pk) if timer_rows is None else timer_rows
        fire_due(case, instance, timer_rows, now)
    return LoadedCase(instance, ready_before, timer_rows, fired=due)


def fire_due(case: Case, instance: ProcessInstance, timer_rows: list[CaseTimer],
             now: datetime) -> int:
    """Fire the due process timers in ``instance`` and give the due clock alerts; return how
    many things fired. The caller saves the instance and rewrites the derived rows."""
    due = [row for row in timer_rows if row.due_at <= now]
    fired = list(instance.fire_due_timers(now)) if any(
        t.kind == TimerKind.PROCESS for t in due) else []
    for timer in fired:
        CaseEvent.objects.create(case=case, at=now, kind=EventKind.TIMER, stage=timer.stage or "",
                                 bpmn_id=timer.bpmn_id, detail=timer.name)
    case_notices.timers_fired(case, fired)
    alerts = 0
    for row in due:
        if row.kind in (TimerKind.WARNING, TimerKind.BREACH):
            kind = AlertKind.WARNING if row.kind == TimerKind.WARNING else AlertKind.BREACH
            _, created = ClockAlert.objects.get_or_create(
                case=case, clock=row.clock, kind=kind,
                defaults={"force_id": case.force_id, "at": now})
            if created:
                alerts += 1
                CaseEvent.objects.create(case=case, at=now, kind=EventKind.CLOCK,
                                         detail=row.name[:500])
                case_notices.clock_alerted(case, breach=kind == AlertKind.BREACH, words=row.name)
    return len(fired) + alerts


def _fire_locked(case: Case, now: datetime) -> int:
    """Fire everything due on a locked case; return how many things fired."""
    timer_rows = step_sql.timer_rows(case.pk)
    if not any(row.due_at <= now for row in timer_rows):
        # the case's due time was stale: correct it so that it is not claimed again
        case.next_due_at = min((row.due_at for row in timer_rows), default=None)
        case.save(update_fields=["next_due_at"])
        return 0
    instance = ProcessInstance.load(definition_for_id(case.version_id), case.state)
    ready_before = instance.ready_task_ids()
    fired = fire_due(case, instance, timer_rows, now)
    sync_derived_rows(case, instance, instance.status(), now=now, ready_before=ready_before,
                      timer_rows=timer_rows)
    if fired:
        # the s.62 entry of the step, as every step writes one: the system altered the case
        record(actor=None, operation=Operation.ALTER, object_type="case",
               object_id=case.reference, fields=["timers"], force_code=case.force.code,
               justification=f"time limit reached: {fired} timer(s) or warning(s) fired")
    return fired


def _record_failure(case_id: int, exc: EngineError) -> None:
    """Count a failed fire; after MAX_FAILURES stop sweeping the case and open an incident.

    The incident says where it failed and gives a reference; the engine's message (which may
    quote task-data names and values) is only logged, under that reference."""
    reference = request_reference()
    log.error("timer fire failed: case=%s reference=%s detail=%s: %s", case_id, reference,
              exc.code, exc.message)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        case.timer_failures += 1
        fields = ["timer_failures"]
        if case.timer_failures >= MAX_FAILURES:
            Incident.objects.create(case=case, force_id=case.force_id, kind="timer",
                                    attempts=case.timer_failures,
                                    message=with_reference(failure_summary(exc),
                                                           reference)[:500],
                                    opened_at=timezone.now())
            CaseEvent.objects.create(case=case, at=timezone.now(), kind=EventKind.INCIDENT,
                                     detail=f"Time limit processing failed: {exc.code}")
            case.next_due_at, case.status = None, CaseStatus.ERROR
            fields += ["next_due_at", "status"]
        case.save(update_fields=fields)
    log.error("timer fire failed: case=%s code=%s attempt=%s", case_id, exc.code,
              case.timer_failures)


class _FireFailed(Exception):
    def __init__(self, case_id: int, error: EngineError) -> None:
        super().__init__(error.message)
        self.case_id, self.error = case_id, error


def fire_some(now: datetime, limit: int = BATCH) -> tuple[list[int], int]:
    """Claim up to ``limit`` due cases (skipping those locked by others) and fire them in one
    transaction: (case ids claimed, things fired).

    If one case fails, for whatever reason but a lost database, the whole batch rolls back
    (nothing half-fired is kept), the failure is counted against that case (after MAX_FAILURES
    it stops being swept and an incident opens), and the others fire again on the next claim.
    """
    try:
        with transaction.atomic(durable=True):
            cases = list(Case.objects.select_for_update(skip_locked=True, of=("self",))
                         .select_related("force")
                         .filter(status=CaseStatus.OPEN, next_due_at__lte=now)
                         .order_by("next_due_at")[:limit])
            delay = getattr(settings, "TIMER_FIRE_TEST_DELAY", 0)
            if delay and cases:  # fault-injection hook for the kill-a-worker test; 0 otherwise
                time.sleep(delay)
            fired = 0
            for case in cases:
                try:
                    fired += _fire_locked(case, now)
                except (OperationalError, InterfaceError):
                    raise  # the database went away: the task is retried as a whole
                except EngineError as exc:
                    raise _FireFailed(case.pk, exc) from exc  # rolls the whole batch back
                except Exception as exc:  # a defect: counted against the case like any failure
                    log.exception("timer fire crashed: case=%s", case.pk)
                    raise _FireFailed(case.pk, EngineError(
                        "fire_crashed", f"Firing failed ({type(exc).__name__}).")) from exc
            return [case.pk for case in cases], fired
    except _FireFailed as failed:
        _record_failure(failed.case_id, failed.error)
        return [failed.case_id], 0


def timers_sweep(*, now: datetime | None = None, budget_seconds: float = 10.0) -> int:
    """Fire due cases until none is left or the time budget is spent; return timers fired.

    Cases are claimed in batches (one commit for several fires); after a failure the sweep
    goes on one case at a time, so one broken case cannot hold the others back. Each sweep
    first writes the worker heartbeat that decision makers' pages check.
    """
    heartbeat_record()
    began, fired, limit = time.monotonic(), 0, BATCH
    while time.monotonic() - began < budget_seconds:
        claimed, count = fire_some(now or timezone.now(), limit)
        if not claimed:
            break
        if count == 0 and len(claimed) == 1 and limit > 1:
            limit = 1
        fired += count
    return fired
