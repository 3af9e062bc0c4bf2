"""Verbs that change cases. Each follows one script: lock the case row, guard, load the state
and fire what is already due, one engine step, save state and rewrite the derived rows, record
the event — all in one durable transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from engine import EngineError, ProcessInstance
from engine.scheme import Scheme
from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.cases import step_sql
from webapp.cases.access import may_act
from webapp.cases.models import Case, CaseEvent, CaseStatus, EventKind, HumanTask, TaskState
from webapp.cases.step_incidents import incident_on_failure
from webapp.cases.sync import allocate_reference, sync_derived_rows
from webapp.cases.timers import LoadedCase, load_for_step
from webapp.errors import ServiceError
from webapp.forces.models import Force, Membership, Role
from webapp.processes.deployments import deployment_for, start_parameters
from webapp.processes.lanes import WORK_ROLES
from webapp.processes.registry import definition_for_id, scheme_for
from webapp.row_sql import insert

log = logging.getLogger(__name__)

T = TypeVar("T")


def membership_of(user: AbstractBaseUser) -> Membership:
    membership = getattr(user, "membership", None)
    if membership is None:
        raise ServiceError("forbidden", "Your account is not attached to a force.")
    return membership


def lanes_for(membership: Membership, version_id: int) -> set[str]:
    """The lanes of a version's scheme whose role the user holds."""
    lanes = definition_for_id(version_id).scheme.lanes
    return {lane for lane, role in lanes.items() if role in membership.roles}


def _engine(call: Callable[[], T], case: Case | None = None) -> T:
    """Run an engine call (or a save of its state), turning its refusals into service errors;
    a failure of the process on ``case`` names the case, for the incident."""
    try:
        return call()
    except EngineError as exc:
        if exc.code in {"script_error", "stalled", "poisoned", "wrong_definition",
                        "unstorable_data", "corrupt_state"}:
            log.error("engine step failed: code=%s", exc.code)
        error = ServiceError.from_engine(exc)
        error.case_id = case.pk if case is not None and error.code == "process_failed" else None
        raise error from exc


def _load_for_step(case: Case, now: datetime) -> LoadedCase:
    """Load the locked case and fire what is already due, before the step."""
    return _engine(lambda: load_for_step(case, now=now), case)


def _locked_task(membership: Membership, task_id: int) -> tuple[Case, HumanTask]:
    """Lock the task's case row, then read the task: both scoped to the user's force."""
    # One statement finds and locks the case; the task is read after the lock is held, so it
    # shows whatever the previous holder of the lock did to it.
    case = step_sql.lock_case_of_task(task_id, membership.force_id)
    if case is None:
        raise ServiceError("not_found", "No such task in your force.")
    case.force = membership.force  # the same force: the lock query is scoped to it
    may_act(membership.user, case)
    return case, step_sql.task(task_id)


def _check_may_work(membership: Membership, task: HumanTask) -> None:
    if task.role not in membership.roles:
        raise ServiceError("forbidden", f"Only a {Role(task.role).label.lower()} may work "
                                        f"'{task.name}'.")


def _check_ready(task: HumanTask) -> None:
    if task.state != TaskState.READY:
        who = task.completed_by.get_username() if task.completed_by else "the process"
        raise ServiceError("conflict", f"'{task.name}' was already {task.state} by {who}; "
                                       "your input was not saved.")


def _event(case: Case, user: AbstractBaseUser | None, kind: str, task: HumanTask | None = None,
           *, detail: str = "", data: Any = None, at: Any = None) -> None:
    insert(CaseEvent(
        case=case, at=at or timezone.now(), actor=user, kind=kind, stage=task.stage if task else "",
        task_name=task.name if task else "", bpmn_id=task.bpmn_id if task else "",
        detail=detail[:500], data=data))


def case_start(*, user: AbstractBaseUser, data: Mapping[str, Any],
               scheme: str | None = None) -> Case:
    """Record a new case of ``scheme`` (a process id; may be left out when the force runs one
    scheme): start the force's active version of it and complete its intake task with
    ``data``."""
    membership = membership_of(user)
    # Read the force's deployments afresh: one may have changed since login.
    force = Force.objects.get(pk=membership.force_id)
    deployment = deployment_for(force, scheme)
    version_id = deployment.active_version_id
    definition = definition_for_id(version_id)
    declared = definition.scheme
    start_data = {**start_parameters(deployment, declared), "outcome_codes": []}
    noun = declared.case_noun or "case"
    with transaction.atomic(durable=True):
        now = timezone.now()
        instance = _engine(lambda: ProcessInstance.start(definition, start_data))
        intake = next((t for t in instance.human_tasks() if t.bpmn_id == declared.intake), None)
        if intake is None:
            raise ServiceError("conflict", f"The process deployed to {force.name} cannot start "
                                           f"a {noun}: it does not begin with its intake task.")
        if declared.role_for_lane(intake.lane) not in membership.roles:
            raise ServiceError("forbidden", f"Only a {(intake.lane or 'named role').lower()} may "
                                            f"record a {noun}.")
        status = _engine(lambda: instance.complete_task(
            intake.task_id, data, lanes=lanes_for(membership, version_id)))
        case = Case.objects.create(
            force=force, reference=allocate_reference(force, now), scheme=deployment.scheme,
            version_id=version_id, state=b"", opened_at=now, opened_by=user)
        case._deployment = deployment  # the step's clocks and routing read it
        CaseEvent.objects.create(case=case, at=now, actor=user, kind=EventKind.STARTED,
                                 stage=intake.stage or "", task_name=intake.name,
                                 bpmn_id=intake.bpmn_id, data=dict(data))
        _engine(lambda: sync_derived_rows(case, instance, status, now=now, ready_before=(),
                                          answers=data))
        record(actor=user, operation=declared.s62_operation(intake.bpmn_id),
               object_type="case", object_id=case.reference, fields=sorted(data),
               justification=f"{noun} recorded under {declared.title or deployment.scheme}"[:500])
    log.info("case started: case=%s force=%s scheme=%s", case.pk, force.code, deployment.scheme)
    return case


def task_claim(*, user: AbstractBaseUser, task_id: int) -> HumanTask:
    """Take an unassigned task from the team queue."""
    membership = membership_of(user)
    with transaction.atomic(durable=True):
        case, task = _locked_task(membership, task_id)
        _check_may_work(membership, task)
        _check_ready(task)
        if task.assignee_id is not None:
            if task.assignee_id == user.pk:
                return task
            raise ServiceError("conflict", f"'{task.name}' was already claimed by "
                                           f"{task.assignee.get_username()}.")
        task.assignee = user
        step_sql.set_assignee(task.pk, user.pk)
        _event(case, user, EventKind.CLAIMED, task)
    return task


def task_release(*, user: AbstractBaseUser, task_id: int) -> HumanTask:
    """Put a task one holds back in the team queue (a decision maker may release any)."""
    membership = membership_of(user)
    with transaction.atomic(durable=True):
        case, task = _locked_task(membership, task_id)
        _check_ready(task)
        if task.assignee_id != user.pk and not membership.has_role(Role.DECISION_MAKER):
            raise ServiceError("forbidden", "Only the assignee or a decision maker may release "
                                            "this task.")
        task.assignee = None
        step_sql.set_assignee(task.pk, None)
        _event(case, user, EventKind.RELEASED, task)
    return task


def task_assign(*, user: AbstractBaseUser, task_id: int, assignee_id: int) -> HumanTask:
    """A decision maker gives a task to a colleague in the same force who may work its lane."""
    membership = membership_of(user)
    if not membership.has_role(Role.DECISION_MAKER):
        raise ServiceError("forbidden", "Only a decision maker may assign tasks.")
    with transaction.atomic(durable=True):
        case, task = _locked_task(membership, task_id)
        _check_ready(task)
        target = (Membership.objects.select_related("user")
                  .filter(user_id=assignee_id, force=membership.force).first())
        if target is None:
            raise ServiceError("not_found", "No such officer in your force.")
        if membership.team_id and target.team_id != membership.team_id:
            raise ServiceError("forbidden", "You may assign only within your team.")
        _check_may_work(target, task)
        task.assignee = target.user
        step_sql.set_assignee(task.pk, target.user.pk)
        _event(case, user, EventKind.ASSIGNED, task, detail=f"to {target.user.get_username()}")
    return task


def _locked_workable_task(membership: Membership, user: AbstractBaseUser,
                          task_id: int) -> tuple[Case, HumanTask]:
    """Lock and return a ready task the user may work now (theirs or unassigned)."""
    case, task = _locked_task(membership, task_id)
    _check_may_work(membership, task)
    _check_ready(task)
    if task.assignee_id not in (None, user.pk):
        raise ServiceError("conflict", f"'{task.name}' is assigned to "
                                       f"{task.assignee.get_username()}; claim it first.")
    return case, task


def task_save_draft(*, user: AbstractBaseUser, task_id: int, data: Mapping[str, Any]) -> None:
    """Keep unfinished input on a task without validating or running anything."""
    membership = membership_of(user)
    with transaction.atomic(durable=True):
        case, task = _locked_workable_task(membership, user, task_id)
        task.draft = dict(data)
        task.assignee = user
        task.save(update_fields=["draft", "assignee"])
        _event(case, user, EventKind.DRAFT, task)


def _log_completion(user: AbstractBaseUser, case: Case, task: HumanTask,
                    data: Mapping[str, Any], instance: ProcessInstance) -> None:
    """The s.62 entry of a completed task, with the meaning its scheme declares for it."""
    scheme = scheme_for(case.version_id)
    operation = scheme.s62_operation(task.bpmn_id)
    if operation == Operation.DISCLOSE:
        record(actor=user, operation=Operation.DISCLOSE, object_type="case",
               object_id=case.reference, fields=sorted(data),
               recipients=[_recipient(scheme, task.bpmn_id, data, instance)],
               justification="disclosure decided lawful, necessary and proportionate")
        return
    record(actor=user, operation=operation, object_type="case", object_id=case.reference,
           fields=sorted(data), justification=f"task: {task.name}"[:500])


def _recipient(scheme: Scheme, task_id: str, data: Mapping[str, Any],
               instance: ProcessInstance) -> str:
    """The name of the declared recipient party, as the case data holds it."""
    party = scheme.party(scheme.disclosure_recipient(task_id) or "")
    if party is None:
        return "recipient not named"
    names = scheme.party_names({**instance.data([party.field]), **data}).get(party.key)
    return ", ".join(names)[:200] if names else "recipient not named"


@incident_on_failure
def task_complete(*, user: AbstractBaseUser, task_id: int, data: Mapping[str, Any],
                  if_revision: int | None = None) -> Case:
    """Complete a task with its form data and advance the case to its next wait states.

    ``if_revision`` (the API's If-Match) refuses the step if the case moved on meanwhile.
    """
    membership = membership_of(user)
    with transaction.atomic(durable=True):
        case, task = _locked_workable_task(membership, user, task_id)
        if if_revision is not None and case.revision != if_revision:
            raise ServiceError("conflict", f"{case.reference} changed since you read it "
                                           "(stale If-Match); read the task again.")
        now = timezone.now()
        loaded = _load_for_step(case, now)
        instance = loaded.instance
        lanes = lanes_for(membership, case.version_id)
        status = _engine(lambda: instance.complete_task(str(task.engine_task_id), data,
                                                        lanes=lanes), case)
        _event(case, user, EventKind.COMPLETED, task, data=dict(data), at=now)
        _engine(lambda: sync_derived_rows(
            case, instance, status, now=now, completed={str(task.engine_task_id): user},
            ready_before=loaded.ready_before, timer_rows=loaded.timer_rows, answers=data), case)
        # last: the log's chain head is locked to commit
        _log_completion(user, case, task, data, instance)
    log.info("task completed: case=%s task=%s", case.pk, task.bpmn_id)
    return case


@incident_on_failure
def case_withdraw(*, user: AbstractBaseUser, reference: str, reason: str) -> Case:
    """The scheme's withdraw message: deliver it (it closes the case, or whatever the diagram
    does with it). A scheme that declares none has no withdraw action."""
    membership = membership_of(user)
    if not (set(membership.roles) & set(WORK_ROLES)):
        raise ServiceError("forbidden", "Your role may not do that.")
    with transaction.atomic(durable=True):
        case = (Case.objects.select_for_update()
                .filter(reference=reference, force=membership.force).first())
        if case is None:
            raise ServiceError("not_found", "No such case in your force.")
        message = scheme_for(case.version_id).message("withdraw")
        if message is None:
            raise ServiceError("conflict", f"{case.reference}'s process has no withdraw action.")
        if not reason.strip():
            problem = f"Give this: {message.reason.lower()}."
            raise ServiceError("invalid", problem, field_errors={"reason": [problem]})
        may_act(user, case)
        if case.status != CaseStatus.OPEN:
            raise ServiceError("conflict", f"{case.reference} is {case.get_status_display()}.")
        now = timezone.now()
        loaded = _load_for_step(case, now)
        instance = loaded.instance
        status = _engine(lambda: instance.send_message(message.message, {"reason": reason}),
                         case)
        insert(CaseEvent(case=case, at=now, actor=user, kind=EventKind.WITHDRAWN,
                         task_name=message.event[:200], detail=reason[:500]))
        _engine(lambda: sync_derived_rows(case, instance, status, now=now,
                                          ready_before=loaded.ready_before,
                                          timer_rows=loaded.timer_rows), case)
        record(actor=user, operation=Operation.ALTER, object_type="case",
               object_id=case.reference, fields=["status"],
               justification=message.event[:500])
    return case
