"""A case's owner: the case officer who first claims one of its tasks, or whom a decision maker
names with a reason. The next tasks in lanes the owner works go straight to them
(``webapp.cases.sync``); the ready tasks of a case a user may work can be claimed together.
Each verb is one case step, with its case event and s.62 entry."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from webapp.audit.models import Operation
from webapp.cases import step_sql
from webapp.cases.case_step import CaseStep, case_step, lock_case
from webapp.cases.models import Case, CaseStatus, EventKind, HumanTask, TaskState
from webapp.errors import ServiceError
from webapp.forces.models import Membership
from webapp.permissions import Action, allows, may_work, member, require

NO_TASK = "No such task in your force."


def claimable(membership: Membership, tasks: list[HumanTask]) -> list[HumanTask]:
    """Of a case's tasks, the ready unassigned ones the member may work (their lane's role,
    and their team's queue where the force routes the lane to a team)."""
    return [t for t in tasks if t.state == TaskState.READY and t.assignee_id is None
            and may_work(membership, t.role) and t.team_id in (None, membership.team_id)]


def claimable_on_case(membership: Membership, case_id: int) -> list[HumanTask]:
    """The ready tasks of one case the member could claim now (the task page's offer)."""
    return claimable(membership, list(HumanTask.objects.filter(
        case_id=case_id, force_id=membership.force_id, state=TaskState.READY,
        assignee__isnull=True).order_by("due_at", "pk")))


def _set_owner(step: CaseStep, owner: AbstractBaseUser, *, detail: str) -> None:
    step.case.owner = owner
    Case.objects.filter(pk=step.case.pk).update(owner=owner)
    step.event(EventKind.OWNER, task_name="Case owner", detail=detail)
    step.access(Operation.ALTER, f"case owner: {owner.get_username()}", fields=["owner"])


def take_ownership(step: CaseStep, membership: Membership, how: str = "claimed") -> None:
    """The claimer (or the officer a task is assigned to) becomes the owner of a case that has
    none, if their role owns cases."""
    if step.case.owner_id is None and allows(membership, Action.OWN_CASES):
        _set_owner(step, membership.user, detail=f"{membership.user.get_username()} {how} "
                                                 "its first task")


def case_claim_all(*, user: AbstractBaseUser, task_id: int) -> tuple[Case, list[HumanTask]]:
    """Claim every ready, unassigned task the user may work on the case holding ``task_id``
    (parallel checks in one action)."""
    membership = member(user)

    def lock() -> Case | None:
        return step_sql.lock_case_of_task(task_id, membership.force_id)

    with case_step(user=user, lock=lock, not_found=NO_TASK, task_id=task_id) as step:
        tasks = claimable_on_case(membership, step.case.pk)
        if not tasks:
            raise ServiceError("conflict", "There is nothing left to claim on "
                                           f"{step.case.reference}.")
        for task in tasks:
            step_sql.set_assignee(task.pk, user.pk)
            task.assignee = user
            step.event(EventKind.CLAIMED, task)
        step.access(Operation.ALTER, f"{len(tasks)} tasks claimed together: "
                                     + ", ".join(t.name for t in tasks), fields=["assignee"])
        take_ownership(step, membership)
    return step.case, tasks


def case_set_owner(*, user: AbstractBaseUser, reference: str, owner_id: int | None,
                   reason: str) -> Case:
    """A decision maker names the case's owner, with a reason; the old owner's ready tasks in
    lanes the new owner works move with the case."""
    membership = require(user, Action.ASSIGN, "Only a decision maker may change a case's "
                                              "owner.")
    with case_step(user=user, lock=lambda: lock_case(reference=reference,
                                                     force=membership.force)) as step:
        case = step.case
        if not reason.strip():
            problem = "Say why the owner is changing."
            raise ServiceError("invalid", problem, field_errors={"reason": [problem]})
        if case.status != CaseStatus.OPEN:
            raise ServiceError("conflict", f"{case.reference} is {case.get_status_display()}.")
        target = (Membership.objects.select_related("user")
                  .filter(user_id=owner_id, force=membership.force).first())
        if target is None or not allows(target, Action.OWN_CASES):
            raise ServiceError("invalid", "Choose a case officer of your force.",
                               field_errors={"owner": ["Choose a case officer of your force."]})
        previous = case.owner_id
        if previous == target.user_id:
            return case
        for task in HumanTask.objects.filter(case=case, state=TaskState.READY,
                                             assignee_id=previous):
            if previous is not None and may_work(target, task.role):
                step_sql.set_assignee(task.pk, target.user_id)
        _set_owner(step, target.user, detail=f"{target.user.get_username()}: {reason[:400]}")
    return case


def owner_choices(membership: Membership, case: Case) -> list[Membership]:
    """The case officers a decision maker may make the owner of an open case (else none)."""
    if not allows(membership, Action.ASSIGN) or case.status != CaseStatus.OPEN:
        return []
    found = (Membership.objects.filter(force_id=membership.force_id).select_related("user")
             .order_by("user__username"))
    return [m for m in found if allows(m, Action.OWN_CASES)]
