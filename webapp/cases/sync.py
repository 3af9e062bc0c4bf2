"""Rewrite a case's derived rows (status, tasks, timers, parties) from its engine state."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from engine import InstanceStatus, ProcessInstance
from engine.clock_reviews import breach_reviews
from engine.scheme import Scheme
from webapp import row_sql
from webapp.cases import case_notices, step_sql
from webapp.cases.diagram import marks_of
from webapp.cases.models import (
    Case,
    CaseEvent,
    CaseSequence,
    CaseStatus,
    CaseTimer,
    EventKind,
    HumanTask,
    TaskState,
    TimerKind,
)
from webapp.cases.parties import rewrite_party_rows
from webapp.cases.retention import retention_for
from webapp.cases.risks import flag_risks
from webapp.clocks.models import CaseClock, ClockState
from webapp.clocks.sync import PARKED, clocks_sync
from webapp.forces.models import Force, Membership
from webapp.permissions import may_work, membership
from webapp.processes.deployments import lane_team_ids
from webapp.processes.registry import definition_for_id, scheme_for


def allocate_reference(force: Force, now: datetime) -> str:
    """Next human reference for the force and year, e.g. HRT-2026-000123 (caller holds a txn).
    One statement: the force's first case of a year inserts its counter, later ones add one to
    it (the row stays locked to the commit, so references are issued in commit order)."""
    table = connection.ops.quote_name(CaseSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (force_id, year, last) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (force_id, year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [force.pk, now.year])
        last = cursor.fetchone()[0]
    return f"{force.code}-{now.year}-{last:06d}"


def _due_for(stage: str | None, status: InstanceStatus,
             clock_due: dict[str, datetime]) -> datetime | None:
    """A new task's time limit: the earliest live timer of its stage, else of the case; where
    no timer is live (an overall limit already passed), the earliest clock that still applies
    (running or breached), so the task shows "Overdue by" rather than no limit."""
    live = [t for t in status.timers if t.due_at.year < PARKED.year]
    same_stage = [t.due_at for t in live if t.stage == stage]
    if same_stage:
        return min(same_stage)
    return min((t.due_at for t in live), default=None) or min(clock_due.values(), default=None)


def _clock_due(clocks: list[CaseClock]) -> dict[str, datetime]:
    """Clock name -> due time of the clocks that apply now (running or breached)."""
    return {c.clock: c.due_at for c in clocks
            if c.due_at is not None and c.state in (ClockState.RUNNING, ClockState.BREACHED)}


def sync_derived_rows(case: Case, instance: ProcessInstance, status: InstanceStatus, *,
                      now: datetime,
                      completed: Mapping[str, AbstractBaseUser] | None = None,
                      ready_before: Collection[str] | None = None,
                      timer_rows: list[CaseTimer] | None = None,
                      clock_rows: list[CaseClock] | None = None,
                      answers: Mapping[str, Any] | None = None,
                      withdrawn: bool = False, new_case: bool = False,
                      owner_work: tuple[int | None, Membership | None] | None = None) -> None:
    """Save state and rewrite tasks, clocks, timers and case columns (rows diffed in memory).

    ``ready_before``: the engine ids of the user tasks that were ready before the step, read off
    the loaded instance; the task rows mirror them (every step syncs them in its transaction),
    so the READY rows need not be read back. Without it they are read. ``timer_rows``: the
    case's timer rows if the caller has just read them under the lock; ``clock_rows`` likewise
    its clock rows (their alert flags as they are now). ``answers``: the form
    data the step completed with (its parties and risk markers count even where the process does
    not pass them on). ``withdrawn``: the step withdraws the case (the clocks it stops are
    "Stopped", not met). ``new_case``: the case row was inserted by this transaction (it has
    no party rows or name words to read or replace). ``owner_work``: (the case's owner, their
    membership of its force or None) as read under the lock, used while the owner is the same.
    """
    completed = completed or {}
    clocks, moved = clocks_sync(case, instance, now=now, closed=status.status == "completed",
                                withdrawn=withdrawn, clock_rows=clock_rows)
    if moved:
        status = instance.status()  # the clocks moved escalation timers
    case.state = instance.dump()
    case.revision += 1
    case.stage = (status.stage or "")[:100]
    case.outcome_codes = list(status.outcome_codes)
    scheme = scheme_for(case.version_id)
    # one copy of the fields the declarations read (party names, risk markers)
    data = instance.data({*scheme.party_fields(), *scheme.risk_fields()})
    names_changed = _take_parties(case, scheme, data, answers or {})
    new_risks = _take_risks(case, scheme, data, answers or {})
    if status.status == "completed":
        case.status, case.closed_at = CaseStatus.CLOSED, now
        case.retention_class, case.review_due = retention_for(
            scheme.retention(status.outcome_codes), now)
    elif status.status == "error":
        case.status = CaseStatus.ERROR
    timers = _timer_rows(case, status, clocks, scheme_for(case.version_id))
    case.next_due_at = min((t.due_at for t in timers), default=None)
    # the case page's diagram marks, stored so that the page need not load the workflow
    case.marks = marks_of(instance, instance.definition.process_id,
                          open_case=case.status == CaseStatus.OPEN)
    row_sql.update(case)
    if case.status == CaseStatus.CLOSED:
        row_sql.insert(CaseEvent(case=case, at=now, kind=EventKind.CLOSED, detail=", ".join(
            scheme.outcome_label(code) for code in status.outcome_codes)[:500]))
    if names_changed:
        rewrite_party_rows(case, scheme, stored=not new_case)
    if new_risks:
        flag_risks(case, new_risks, now)
    _rewrite_tasks(case, status, now, completed, ready_before, clock_due=_clock_due(clocks),
                   owner_work=owner_work)
    _rewrite_timers(case, timers, timer_rows)


def _take_parties(case: Case, scheme: Scheme, data: Mapping[str, Any],
                  answers: Mapping[str, Any]) -> bool:
    """Keep the names the case data (and the answers just given) hold for each declared party (a
    name once recorded stays when a later step's data no longer holds it); return whether they
    changed."""
    names = {**case.parties, **scheme.party_names(answers),
             **scheme.party_names(data)}
    people = {**case.people, **scheme.party_people(answers), **scheme.party_people(data)}
    if names == case.parties and people == case.people:
        return False
    case.parties, case.people = names, people
    return True


def _take_risks(case: Case, scheme: Scheme, data: Mapping[str, Any],
                answers: Mapping[str, Any]) -> list[str]:
    """Add the risk markers the case data or the answers just given set (a subprocess may not
    pass them on to the next task's data); return those new to the case."""
    if not scheme.risk_markers:
        return []
    found = [*scheme.risks(answers), *scheme.risks(data)]
    new = [name for name in dict.fromkeys(found) if name not in case.risks]
    if new:
        case.risks = [*case.risks, *new]
    return new


def _timer_key(row: CaseTimer) -> tuple[Any, ...]:
    return (row.kind, row.clock, row.engine_task_id, row.bpmn_id, row.name, row.stage,
            row.due_at)


def _rewrite_timers(case: Case, timers: list[CaseTimer],
                    existing: list[CaseTimer] | None) -> None:
    """Make the case's timer rows ``timers``: unchanged rows stay, the rest are replaced."""
    wanted = {_timer_key(row): row for row in timers}
    stale = []
    for row in existing if existing is not None else step_sql.timer_rows(case.pk):
        if wanted.pop(_timer_key(row), None) is None:
            stale.append(row.pk)
    if stale:
        CaseTimer.objects.filter(pk__in=stale).delete()
    row_sql.insert_many(list(wanted.values()))


def _timer_rows(case: Case, status: InstanceStatus, clocks: list[CaseClock],
                scheme: Scheme) -> list[CaseTimer]:
    rows = [CaseTimer(case=case, kind=TimerKind.PROCESS, engine_task_id=uuid.UUID(t.task_id),
                      bpmn_id=t.bpmn_id, name=t.name[:200], stage=(t.stage or "")[:100],
                      due_at=t.due_at)
            for t in status.timers if t.due_at.year < PARKED.year]
    for clock in clocks:  # rows from clocks_sync: they say which alerts were given
        spec = scheme.clock(clock.clock)
        if spec is None or clock.state not in (ClockState.RUNNING, ClockState.BREACHED):
            continue  # an undeclared clock (clocks_sync logged it) no longer escalates
        if not clock.warned and clock.warn_at:
            rows.append(CaseTimer(case=case, kind=TimerKind.WARNING, clock=clock.clock,
                                  name=f"{clock.label}: warning", due_at=clock.warn_at))
        if spec.breach_timer is None and not clock.breach_alerted:
            rows.append(CaseTimer(case=case, kind=TimerKind.BREACH, clock=clock.clock,
                                  name=f"{clock.label}: limit passed", due_at=clock.due_at))
    return rows


def _owner_work(case: Case, actors: Iterable[AbstractBaseUser],
                read: tuple[int | None, Membership | None] | None) -> Membership | None:
    """The membership of the case's owner: the step's own, when the owner took this step (it
    was read to check their right to), else the one read under the lock (``read``: the owner
    then and their membership) if the owner is the same, else one query; None for a case with
    no owner."""
    if case.owner_id is None:
        return None
    for actor in actors:
        known = membership(actor) if actor.pk == case.owner_id else None
        if known is not None and known.force_id == case.force_id:
            return known
    if read is not None and read[0] == case.owner_id:
        return read[1]
    return (Membership.objects.filter(user_id=case.owner_id, force_id=case.force_id)
            .only("user_id", "roles", "team_id").first())


def _owner_takes(owner: Membership | None, role: str, team_id: int | None) -> int | None:
    """The owner's id for a new task in a lane they work (and their team's, if the force
    routes the lane to a team); else None: the task goes to the queue."""
    if owner is None or not may_work(owner, role) or team_id not in (None, owner.team_id):
        return None
    return owner.user_id


def _rewrite_tasks(case: Case, status: InstanceStatus, now: datetime,
                   completed: Mapping[str, AbstractBaseUser],
                   ready_before: Collection[str] | None, *,
                   clock_due: dict[str, datetime],
                   owner_work: tuple[int | None, Membership | None] | None = None) -> None:
    ready = {t.task_id: t for t in status.human_tasks}
    if ready_before is None:
        ready_before = {str(engine_id) for engine_id in HumanTask.objects.filter(
            case=case, state=TaskState.READY).values_list("engine_task_id", flat=True)}
    ended = [engine_id for engine_id in ready_before if engine_id not in ready]
    cancelled = [engine_id for engine_id in ended if engine_id not in completed]
    by_user: dict[Any, list[str]] = {}
    for engine_id in ended:
        if engine_id in completed:
            by_user.setdefault(completed[engine_id], []).append(engine_id)
    for user, engine_ids in by_user.items():
        step_sql.close_tasks(case.pk, engine_ids, TaskState.COMPLETED, now, user.pk)
    if cancelled:
        step_sql.close_tasks(case.pk, cancelled, TaskState.CANCELLED, now, None)
    scheme = scheme_for(case.version_id)
    new = [info for task_id, info in ready.items() if task_id not in ready_before]
    teams = lane_team_ids(case) if new else {}
    reviews = breach_reviews(definition_for_id(case.version_id)) if new else {}
    owner = _owner_work(case, completed.values(), owner_work) if new else None
    rows = [
        HumanTask(case=case, force_id=case.force_id, engine_task_id=uuid.UUID(info.task_id),
                  assignee_id=_owner_takes(owner, scheme.role_for_lane(info.lane),
                                           teams.get(info.lane or "")),
                  bpmn_id=info.bpmn_id, name=info.name[:200], lane=info.lane or "",
                  role=scheme.role_for_lane(info.lane), team_id=teams.get(info.lane or ""),
                  stage=(info.stage or "")[:100],
                  form_file=info.form_file or "", instructions=info.instructions,
                  due_at=(clock_due.get(reviews.get(info.bpmn_id, ""))
                          or _due_for(info.stage, status, clock_due)),
                  created_at=now, at_risk=bool(case.risks))
        for info in new
    ]
    # a task given to someone at once is named by its id in the notice that tells them
    row_sql.insert_many(rows, ids_at_once=any(row.assignee_id is not None for row in rows))
    case_notices.tasks_routed(case, rows, completed.values())
