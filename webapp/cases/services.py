"""Verbs that change cases. Each is one case step (``webapp.cases.case_step``): lock the case
row, guard, load the state and fire what is already due, one engine step, save state and
rewrite the derived rows, record the event and the access-log entry — all in one durable
transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from engine import ProcessInstance
from engine.scheme import Scheme
from webapp.audit.models import Operation
from webapp.cases import case_notices, step_sql
from webapp.cases.access import may_act
from webapp.cases.case_step import CaseStep, case_step, engine_call, lock_case
from webapp.cases.case_words import display_name
from webapp.cases.drafts import draft_discard
from webapp.cases.models import Case, CaseEvent, CaseStatus, EventKind, HumanTask, TaskState
from webapp.cases.ownership import take_ownership
from webapp.cases.reassignment import ReassignReason, reassign_reason
from webapp.cases.step_incidents import incident_on_failure
from webapp.cases.sync import allocate_reference
from webapp.errors import ServiceError
from webapp.forces.models import Membership
from webapp.permissions import (
    Action,
    lanes_worked,
    may_work,
    member,
    require,
    role_label,
)
from webapp.processes.deployments import deployment_for, start_parameters
from webapp.processes.registry import definition_for_id, scheme_for
from webapp.row_sql import insert

log = logging.getLogger(__name__)


def membership_of(user: AbstractBaseUser) -> Membership:
    return member(user)


def lanes_for(membership: Membership, version_id: int) -> set[str]:
    """The lanes of a version's scheme whose role the user holds ("" for the tasks outside any
    lane when the scheme's default role is one of them)."""
    scheme = definition_for_id(version_id).scheme
    lanes = lanes_worked(membership, scheme.lanes)
    if scheme.default_role and may_work(membership, scheme.default_role):
        lanes.add("")
    return lanes


def _task_step(membership: Membership, user: AbstractBaseUser, task_id: int, *,
               process: bool = False) -> AbstractContextManager[CaseStep]:
    """The step on the case holding task ``task_id``, scoped to the user's force; ``process``:
    the step moves the process (its clock and timer rows and deployment are read with the
    lock)."""

    def lock() -> step_sql.TaskStepRows | None:
        # One round trip finds and locks the case and reads the task after the lock is held, so
        # it shows whatever the previous holder of the lock did to it.
        rows = step_sql.lock_task_step(task_id, membership.force_id, process=process)
        if rows is not None:
            rows.case.force = membership.force  # the same force: the lock is scoped to it
            if rows.deployment_read:
                rows.case._deployment = rows.deployment
        return rows

    return case_step(user=user, lock=lock, not_found="No such task in your force.",
                     task_id=task_id)


def _check_may_work(membership: Membership, task: HumanTask) -> None:
    """Refuse a task whose lane the member's roles do not work, or (unless it is theirs
    already) that the force routed to another team's queue."""
    if not may_work(membership, task.role):
        raise ServiceError("forbidden", f"Only a {role_label(task.role)} may work "
                                        f"'{task.name}'.")
    if (task.team_id is not None and task.team_id != membership.team_id
            and task.assignee_id != membership.user_id):
        raise ServiceError("forbidden", f"'{task.name}' is in the {task.team.name} team's "
                                        "queue; ask a decision maker of that team to assign it.")


def _check_ready(task: HumanTask) -> None:
    if task.state != TaskState.READY:
        who = task.completed_by.get_username() if task.completed_by else "the process"
        raise ServiceError("conflict", f"'{task.name}' was already {task.state} by {who}; "
                                       "your input was not saved.")


def case_start(*, user: AbstractBaseUser, data: Mapping[str, Any],
               scheme: str | None = None) -> Case:
    """Record a new case of ``scheme`` (a process id; may be left out when the force runs one
    scheme): start the force's active version of it and complete its intake task with
    ``data``."""
    membership = member(user)
    force = membership.force  # its deployments are read afresh: one may have changed
    deployment = deployment_for(force, scheme)
    version_id = deployment.active_version_id
    definition = definition_for_id(version_id)
    declared = definition.scheme
    start_data = {**start_parameters(deployment, declared), "outcome_codes": []}
    noun = declared.case_noun or "case"
    started: dict[str, Any] = {}

    def open_case() -> Case:
        """The new case row (a row this transaction inserted is as good as locked)."""
        now = timezone.now()
        instance = engine_call(lambda: ProcessInstance.start(definition, start_data))
        intake = next((t for t in instance.human_tasks() if t.bpmn_id == declared.intake), None)
        if intake is None:
            raise ServiceError("conflict", f"The process deployed to {force.name} cannot start "
                                           f"a {noun}: it does not begin with its intake task.")
        if not may_work(membership, declared.role_for_lane(intake.lane)):
            raise ServiceError("forbidden", f"Only a {(intake.lane or 'named role').lower()} may "
                                            f"record a {noun}.")
        started["status"] = engine_call(lambda: instance.complete_task(
            intake.task_id, data, lanes=lanes_for(membership, version_id)))
        started["instance"], started["intake"] = instance, intake
        case = Case.objects.create(
            force=force, reference=allocate_reference(force, now), scheme=deployment.scheme,
            version_id=version_id, state=b"", opened_at=now, opened_by=user)
        case._deployment = deployment  # the step's clocks and routing read it
        return case

    with case_step(user=user, lock=open_case, need_to_know=False) as step:
        case, intake = step.case, started["intake"]
        insert(CaseEvent(case=case, at=case.opened_at, actor=user, kind=EventKind.STARTED,
                         stage=intake.stage or "", task_name=intake.name,
                         bpmn_id=intake.bpmn_id, data=dict(data)))
        step.now = case.opened_at
        # a case this transaction inserted has no task, clock, timer or party rows yet
        step.sync(started["instance"], started["status"], ready_before=(), answers=data,
                  clock_rows=[], timer_rows=[], new_case=True)
        step.access(declared.s62_operation(intake.bpmn_id),
                    f"{noun} recorded under {declared.title or deployment.scheme}",
                    fields=sorted(data))
        draft_discard(user=user, scheme=deployment.scheme)  # recorded: the draft has served
    log.info("case started: case=%s force=%s scheme=%s", case.pk, force.code, deployment.scheme)
    return case


def _held_already(membership: Membership, user: AbstractBaseUser,
                  task_id: int) -> HumanTask | None:
    """The task, if the user holds it already, may work it and it is still ready: claiming it
    changes nothing, so it is read alone (one statement, no lock, no commit to flush). Its
    row is their need-to-know (``task_relationship``). None: take the step."""
    task = step_sql.task_in_force(task_id, membership.force_id)
    if task is None or task.state != TaskState.READY or task.assignee_id != user.pk:
        return None
    try:
        _check_may_work(membership, task)
    except ServiceError:
        return None
    return task


def task_claim(*, user: AbstractBaseUser, task_id: int) -> HumanTask:
    """Take an unassigned task from the team queue (one the user holds already: returned as
    it is, without a step)."""
    membership = member(user)
    held = _held_already(membership, user, task_id)
    if held is not None:
        return held
    with _task_step(membership, user, task_id) as step:
        task = step.task
        _check_may_work(membership, task)
        _check_ready(task)
        if task.assignee_id is not None:
            if task.assignee_id == user.pk:
                return task
            raise ServiceError("conflict", f"'{task.name}' was already claimed by "
                                           f"{task.assignee.get_username()}.")
        task.assignee = user
        with step.writes():
            step_sql.set_assignee(task.pk, user.pk)
            step.event(EventKind.CLAIMED, task)
            step.access(Operation.ALTER, f"task claimed: {task.name}", fields=["assignee"])
            take_ownership(step, membership)
    return task


def task_release(*, user: AbstractBaseUser, task_id: int) -> HumanTask:
    """Put a task one holds back in the team queue (a decision maker may release any)."""
    membership = member(user)
    with _task_step(membership, user, task_id) as step:
        task = step.task
        _check_ready(task)
        if task.assignee_id != user.pk:
            require(user, Action.RELEASE_ANY)
        task.assignee = None
        step_sql.set_assignee(task.pk, None)
        step.event(EventKind.RELEASED, task)
        step.access(Operation.ALTER, f"task released: {task.name}", fields=["assignee"])
    return task


def task_assign(*, user: AbstractBaseUser, task_id: int, assignee_id: int,
                reason_code: str = "", reason: str = "") -> HumanTask:
    """A decision maker gives a task to a colleague in the same force who may work its lane.
    Taking a task from the colleague who holds it is a reassignment: it needs a reason (a
    ``ReassignReason`` and, for 'another reason', words), kept on the case's timeline."""
    membership = require(user, Action.ASSIGN)
    with _task_step(membership, user, task_id) as step:
        task = step.task
        _check_ready(task)
        target = (Membership.objects.select_related("user")
                  .filter(user_id=assignee_id, force=membership.force).first())
        if target is None:
            raise ServiceError("not_found", "No such officer in your force.")
        if membership.team_id and target.team_id != membership.team_id:
            raise ServiceError("forbidden", "You may assign only within your team.")
        _check_may_work(target, task)
        # taking a task from a colleague needs a reason; passing on one's own does not
        previous = (task.assignee if task.assignee_id not in (None, target.user.pk, user.pk)
                    else None)
        why = reassign_reason(reason_code, reason) if previous is not None else ""
        task.assignee = target.user
        step_sql.set_assignee(task.pk, target.user.pk)
        to = display_name(target.user)
        if previous is not None:
            step.event(EventKind.REASSIGNED, task,
                       detail=f"from {display_name(previous)} to {to}: {why}")
            # the log outlives erasure: the reason's category, never the typed words
            step.access(Operation.ALTER, f"task reassigned: {task.name}, from "
                        f"{display_name(previous)} to {to}, because: "
                        f"{ReassignReason(reason_code).label.lower()}",
                        fields=["assignee", "reassignment reason"])
        else:
            step.event(EventKind.ASSIGNED, task, detail=f"to {to}")
            step.access(Operation.ALTER, f"task assigned: {task.name}, to {to}",
                        fields=["assignee"])
        take_ownership(step, target, "was assigned")
        case_notices.task_assigned(step.case, task, by=user)
    return task


def _workable_task(membership: Membership, user: AbstractBaseUser, task: HumanTask) -> HumanTask:
    """The step's ready task (its case locked), if the user may work it now (theirs or
    unassigned)."""
    _check_may_work(membership, task)
    _check_ready(task)
    if task.assignee_id not in (None, user.pk):
        raise ServiceError("conflict", f"'{task.name}' is assigned to "
                                       f"{task.assignee.get_username()}; claim it first.")
    return task


def task_save_draft(*, user: AbstractBaseUser, task_id: int, data: Mapping[str, Any]) -> None:
    """Keep unfinished input on a task without validating or running anything."""
    membership = member(user)
    with _task_step(membership, user, task_id) as step:
        task = _workable_task(membership, user, step.task)
        task.draft = dict(data)
        task.assignee = user
        task.save(update_fields=["draft", "assignee"])
        step.event(EventKind.DRAFT, task)
        step.access(Operation.ALTER, f"task draft saved: {task.name}", fields=sorted(data))


def _log_completion(step: CaseStep, task: HumanTask, data: Mapping[str, Any],
                    instance: ProcessInstance) -> None:
    """The s.62 entry of a completed task, with the meaning its scheme declares for it."""
    scheme = scheme_for(step.case.version_id)
    operation = scheme.s62_operation(task.bpmn_id)
    if operation == Operation.DISCLOSE:
        step.access(Operation.DISCLOSE, "disclosure decided lawful, necessary and proportionate",
                    fields=sorted(data),
                    recipients=[_recipient(scheme, task.bpmn_id, data, instance)])
        return
    step.access(operation, f"task: {task.name}", fields=sorted(data))


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
    membership = member(user)
    with _task_step(membership, user, task_id, process=True) as step:
        case = step.case
        task = _workable_task(membership, user, step.task)
        if if_revision is not None and case.revision != if_revision:
            raise ServiceError("conflict", f"{case.reference} changed since you read it "
                                           "(stale If-Match); read the task again.")
        instance = step.load()
        lanes = lanes_for(membership, case.version_id)
        status = engine_call(lambda: instance.complete_task(str(task.engine_task_id), data,
                                                            lanes=lanes), case)
        with step.writes():
            step.event(EventKind.COMPLETED, task, data=dict(data))
            step.sync(instance, status, completed={str(task.engine_task_id): user},
                      answers=data)
        _log_completion(step, task, data, instance)
    log.info("task completed: case=%s task=%s", case.pk, task.bpmn_id)
    return case


@incident_on_failure
def case_withdraw(*, user: AbstractBaseUser, reference: str, reason: str) -> Case:
    """The scheme's withdraw message: deliver it (it closes the case, or whatever the diagram
    does with it). A scheme that declares none has no withdraw action."""
    membership = require(user, Action.WITHDRAW)
    with case_step(user=user, need_to_know=False,
                   lock=lambda: lock_case(reference=reference, force=membership.force)) as step:
        case = step.case
        message = scheme_for(case.version_id).message("withdraw")
        if message is None:
            raise ServiceError("conflict", f"{case.reference}'s process has no withdraw action.")
        if not reason.strip():
            problem = f"Enter {message.reason[:1].lower()}{message.reason[1:]}."
            raise ServiceError("invalid", problem, field_errors={"reason": [problem]})
        may_act(user, case)
        if case.status != CaseStatus.OPEN:
            raise ServiceError("conflict", f"{case.reference} is {case.get_status_display()}.")
        instance = step.load()
        status = engine_call(lambda: instance.send_message(message.message, {"reason": reason}),
                             case)
        step.event(EventKind.WITHDRAWN, task_name=message.event, detail=reason)
        step.sync(instance, status, withdrawn=True)
        step.access(Operation.ALTER, message.event, fields=["status"])
    return case
