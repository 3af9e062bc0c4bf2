"""One case step: the unit of work every service that moves or touches a case goes through.

``transaction.atomic(durable=True)`` → lock the case row only (``of=("self",)``) → need-to-know
(``may_act``) → the verb's guards and its own step (for the verbs that step the engine: load
the state and fire what is already due, step, save the state and rewrite the derived rows) →
the case event → the s.62 access-log entry, written last (the log's chain head stays locked to
the commit) in the same transaction. A refused step raises before anything is kept: no change,
no entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from engine import EngineError, ProcessInstance
from webapp.audit.log import append, entry_for
from webapp.cases import step_sql
from webapp.cases.access import may_act
from webapp.cases.models import Case, CaseEvent, CaseTimer, HumanTask
from webapp.cases.sync import sync_derived_rows
from webapp.cases.timers import LoadedCase, load_for_step
from webapp.errors import ServiceError
from webapp.row_sql import insert, writes_together

log = logging.getLogger(__name__)

T = TypeVar("T")
NO_CASE = "No such case in your force."
# Engine refusals that mean the process itself failed (logged; the case gets an incident).
_FAILURES = {"script_error", "stalled", "poisoned", "wrong_definition", "unstorable_data",
             "corrupt_state"}


def engine_call(call: Callable[[], T], case: Case | None = None) -> T:
    """Run an engine call (or a save of its state), turning its refusals into service errors;
    a failure of the process on ``case`` names the case, for the incident."""
    try:
        return call()
    except EngineError as exc:
        if exc.code in _FAILURES:
            log.error("engine step failed: code=%s", exc.code)
        error = ServiceError.from_engine(exc)
        error.case_id = case.pk if case is not None and error.code == "process_failed" else None
        raise error from exc


@dataclass
class _Access:
    operation: str
    fields: Sequence[str]
    justification: str
    recipients: Sequence[str]


@dataclass
class CaseStep:
    """The locked case of one step, and what the step has to write before it commits."""

    case: Case
    user: AbstractBaseUser | None
    now: datetime
    loaded: LoadedCase | None = None
    task: HumanTask | None = None  # the task row a task step acts on, read under the lock
    # the case's clock and timer rows, when the lock's round trip read them
    clock_rows: list[Any] | None = None
    timer_rows: list[CaseTimer] | None = None
    owner_work: Any = None  # the owner's membership, when the lock's round trip read it
    _access: list[_Access] = field(default_factory=list)

    def load(self) -> ProcessInstance:
        """Load the state and fire what fell due before now (a step must not cancel a timer
        or a warning that is owed)."""
        self.loaded = engine_call(lambda: load_for_step(self.case, now=self.now,
                                                        timer_rows=self.timer_rows), self.case)
        if self.loaded.fired:
            self.clock_rows = None  # an alert given meanwhile: the clock rows are read again
        return self.loaded.instance

    def sync(self, instance: ProcessInstance, status: Any, **changes: Any) -> None:
        """Save the stepped state and rewrite the derived rows (tasks, timers, stage, clocks)."""
        loaded = self.loaded
        ready = loaded.ready_before if loaded is not None else ()
        timers = loaded.timer_rows if loaded is not None else self.timer_rows
        changes.setdefault("ready_before", ready)
        changes.setdefault("timer_rows", timers)
        changes.setdefault("clock_rows", self.clock_rows)
        changes.setdefault("owner_work", self.owner_work)
        with self.writes():
            engine_call(lambda: sync_derived_rows(self.case, instance, status, now=self.now,
                                                  **changes), self.case)

    def writes(self) -> AbstractContextManager[None]:
        """A block of the step's writes sent without waiting for each (``writes_together``):
        the derived rows' rewrite is one; a verb may widen it to its event and other writes."""
        return writes_together()

    def event(self, kind: str, task: HumanTask | None = None, *, detail: str = "",
              data: Any = None, task_name: str = "", at: datetime | None = None) -> None:
        """The case's history line for this step."""
        insert(CaseEvent(
            case=self.case, at=at or self.now, actor=self.user, kind=kind,
            stage=task.stage if task else "", task_name=(task.name if task else task_name)[:200],
            bpmn_id=task.bpmn_id if task else "", detail=detail[:500], data=data))

    def access(self, operation: str, justification: str, *, fields: Sequence[str] = (),
               recipients: Sequence[str] = ()) -> None:
        """The s.62 entry for this step, written last, just before the commit. The log is
        append-only and outlives erasure: ``justification`` says what was done in plain words
        and never quotes what a person typed (reasons, answers), which may name a party."""
        self._access.append(_Access(operation, list(fields), justification[:500],
                                    list(recipients)))

    def _write_access(self) -> None:
        """The step's entries, chained in their order by one statement (on PostgreSQL)."""
        if self._access:
            append([entry_for(actor=self.user, operation=entry.operation, object_type="case",
                              object_id=self.case.reference, fields=entry.fields,
                              justification=entry.justification, recipients=entry.recipients)
                    for entry in self._access])


@contextmanager
def case_step(*, user: AbstractBaseUser | None,
              lock: Callable[[], Case | step_sql.TaskStepRows | None],
              not_found: str = NO_CASE, need_to_know: bool = True,
              task_id: int | None = None) -> Iterator[CaseStep]:
    """Open the step's durable transaction, lock the case row (``lock`` must lock the case
    row only; it may return the rows it read after the lock, ``step_sql.lock_task_step``),
    read the task ``task_id`` of a task step, check need-to-know, and yield the step; on a
    clean exit write its access-log entries last. ``need_to_know`` is False only for steps no
    person takes (jobs)."""
    with transaction.atomic(durable=True):
        locked = lock()
        if locked is None:
            raise ServiceError("not_found", not_found)
        rows = locked if isinstance(locked, step_sql.TaskStepRows) else None
        case = rows.case if rows is not None else locked
        if rows is not None and task_id is not None:
            if rows.task is None:
                raise HumanTask.DoesNotExist(task_id)
            task: HumanTask | None = rows.task
        else:
            task = step_sql.task(task_id) if task_id is not None else None
        if user is not None and need_to_know:
            may_act(user, case, task)
        step = CaseStep(case, user, timezone.now(), task=task)
        if rows is not None:
            step.clock_rows, step.timer_rows = rows.clock_rows, rows.timer_rows
            step.owner_work = rows.owner_work
        yield step
        step._write_access()


def lock_case(**filters: Any) -> Case | None:
    """Lock and return the one case matching ``filters`` (the case row only)."""
    return Case.objects.select_for_update(of=("self",)).filter(**filters).first()
