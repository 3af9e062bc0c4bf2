"""Claim or assign the tasks ticked on the team queue: each through its own service call (its
own case step, event and access-log entry), the outcome told task by task in plain words."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.contrib import messages
from django.http import HttpRequest

from webapp.cases import services
from webapp.cases.access import visible_tasks
from webapp.cases.models import MAX_ID_DIGITS, HumanTask
from webapp.cases.worklist import PAGE
from webapp.errors import ServiceError
from webapp.permissions import Action, require

NONE_TICKED = "Select the tasks first: tick the box beside each task."
CHOOSE_OFFICER = "Select the officer to assign the tasks to."
HELD_BY_ANOTHER = ("it is held by another officer: open the task and use Assign to reassign it "
                   "with a reason")


def _ids(values: Sequence[str]) -> list[int]:
    ids = [int(v) for v in values[:PAGE] if v.isdecimal() and len(v) <= MAX_ID_DIGITS]
    if not ids:
        raise ServiceError("invalid", NONE_TICKED, field_errors={"task": [NONE_TICKED]})
    return list(dict.fromkeys(ids))


def _each(request: HttpRequest, ids: list[int], act: Callable[[int], HumanTask],
          done_word: str) -> None:
    """Run ``act`` on each task; one message with the counts, one per task refused."""
    # only the tasks the user may see are named: a refusal must not tell another case's step
    membership = request.user.membership
    names = {t.pk: f"'{t.name}' on {t.case.reference}" for t in HumanTask.objects
             .filter(visible_tasks(membership), pk__in=ids, force_id=membership.force_id)
             .select_related("case").only("name", "case__reference")}
    done, taken, refused = 0, 0, []
    for task_id in ids:
        try:
            act(task_id)
        except ServiceError as exc:
            if exc.code == "conflict" and "already claimed" in exc.message:
                taken += 1
            refused.append(f"{names.get(task_id, 'A task')}: {exc.message}")
        else:
            done += 1
    summary = [f"{done} {done_word}"]
    if taken:
        summary.append(f"{taken} had already been claimed by someone else")
    if len(refused) > taken:
        summary.append(f"{len(refused) - taken} could not be {done_word}")
    level = messages.SUCCESS if not refused else messages.WARNING
    messages.add_message(request, level, "; ".join(summary) + ".")
    for line in refused:
        messages.warning(request, line)


def claim_selected(request: HttpRequest, values: Sequence[str]) -> None:
    """Claim the ticked tasks for the user."""
    _each(request, _ids(values),
          lambda task_id: services.task_claim(user=request.user, task_id=task_id), "claimed")


def assign_selected(request: HttpRequest, values: Sequence[str], assignee: str) -> None:
    """Assign the ticked tasks to one officer (decision makers only)."""
    require(request.user, Action.ASSIGN)
    ids = _ids(values)
    if not assignee.isdecimal() or len(assignee) > MAX_ID_DIGITS:
        raise ServiceError("invalid", CHOOSE_OFFICER,
                           field_errors={"assignee": [CHOOSE_OFFICER]})
    target = int(assignee)

    def assign(task_id: int) -> HumanTask:
        try:
            return services.task_assign(user=request.user, task_id=task_id, assignee_id=target)
        except ServiceError as exc:
            if "reason_code" in exc.field_errors:  # held by a colleague: a reason is needed
                raise ServiceError("invalid", HELD_BY_ANOTHER) from exc
            raise

    _each(request, ids, assign, "assigned")
