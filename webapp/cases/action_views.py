"""Action pages on cases and tasks: claim, release, assign, withdraw (``webapp.action_pages``).

Each shows what it acts on and a way back; a refusal shows the form again with the typed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from webapp.action_pages import ActionView, Field, Page
from webapp.cases import selectors, services
from webapp.cases.case_words import display_name
from webapp.cases.models import Case, CaseStatus, HumanTask
from webapp.cases.reassignment import ReassignReason
from webapp.clocks.models import ClockState
from webapp.clocks.selectors import case_clocks
from webapp.errors import ServiceError
from webapp.permissions import Action, allows, member
from webapp.processes.registry import scheme_for

ASSIGN_CHOICE = "Choose an officer to assign to."


def request_membership(request: HttpRequest) -> Any:
    try:
        return member(request.user)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


def task_or_404(request: HttpRequest, task_id: int) -> HumanTask:
    task = selectors.task_detail(request_membership(request), task_id)
    if task is None:
        raise Http404("No such task in your force.")
    return task


def case_or_404(request: HttpRequest, reference: str) -> Case:
    case = selectors.case_detail(request_membership(request), reference)
    if case is None:
        raise Http404("No such case in your force.")
    return case


def _task_page(task: HumanTask, title: str, submit: str, **extra: Any) -> Page:
    return Page(title=title, submit=submit, caption=task.case.reference,
                back=reverse("cases:task", args=[task.pk]), back_label="Back to the task",
                details=[("Task", task.name), ("Case", task.case.reference)], **extra)


class TaskClaim(ActionView):
    def page(self, request: HttpRequest, task_id: int) -> Page:
        task = task_or_404(request, task_id)
        return _task_page(task, f"Claim '{task.name}'", "Claim this task",
                          intro=["The task moves from the team queue to your tasks."])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                task_id: int) -> HttpResponse:
        task = services.task_claim(user=request.user, task_id=task_id)
        messages.success(request, f"You have claimed '{task.name}' on {task.case.reference}.")
        return redirect("cases:task", task_id=task.pk)


class TaskRelease(ActionView):
    def page(self, request: HttpRequest, task_id: int) -> Page:
        task = task_or_404(request, task_id)
        return _task_page(task, f"Release '{task.name}'", "Release back to the team queue",
                          intro=["The task goes back to the team queue for anyone in its "
                                 "role to claim. Its saved draft stays with it."])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                task_id: int) -> HttpResponse:
        task = services.task_release(user=request.user, task_id=task_id)
        messages.success(request, f"'{task.name}' is back in the team queue.")
        return redirect("cases:queue")


class TaskAssign(ActionView):
    """Assign a task; one a colleague holds is a reassignment, which asks why (the previous
    holder sees the reason on the case's timeline)."""

    def page(self, request: HttpRequest, task_id: int) -> Page:
        membership = request_membership(request)
        task = task_or_404(request, task_id)
        people = (selectors.colleagues(membership, task.role)
                  if allows(membership, Action.ASSIGN) else [])
        choices = [(str(m.user_id), display_name(m.user)) for m in people]
        fields = [Field("assignee", "Assign to", kind="select", choices=choices,
                        initial=str(task.assignee_id or ""))]
        if task.assignee_id is None or task.assignee_id == request.user.pk:
            return _task_page(task, f"Assign '{task.name}'", "Assign", fields=fields)
        holder = display_name(task.assignee)
        fields += [Field("reason_code", "Why is it being reassigned?", kind="radios",
                         choices=ReassignReason.choices),
                   Field("reason", "More about the reason", kind="textarea",
                         hint="Needed for 'Another reason'. The officers on the case see it "
                              "on its timeline.", max_length=300)]
        return _task_page(task, f"Reassign '{task.name}'", "Reassign", fields=fields,
                          intro=[f"{holder} holds this task now. They will see the reason "
                                 "on the case's timeline."])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                task_id: int) -> HttpResponse:
        try:
            assignee = int(values.get("assignee", ""))
        except ValueError as exc:
            raise ServiceError("invalid", ASSIGN_CHOICE,
                               field_errors={"assignee": [ASSIGN_CHOICE]}) from exc
        task = services.task_assign(user=request.user, task_id=task_id, assignee_id=assignee,
                                    reason_code=values.get("reason_code", ""),
                                    reason=values.get("reason", ""))
        messages.success(request, f"'{task.name}' assigned to {display_name(task.assignee)}.")
        return redirect("cases:task", task_id=task.pk)


def _withdraw_consequences(case: Case) -> list[str]:
    running = [v.row.label for v in case_clocks(case)
               if v.row.state in (ClockState.RUNNING, ClockState.PAUSED)]
    tasks = selectors.case_open_tasks(case).count()
    lines = ["The case will be closed and no more work will be done on it."]
    if tasks:
        lines.append(f"Its {tasks} open task{'s' if tasks != 1 else ''} will be cancelled.")
    if running:
        lines.append(f"Its running time limits ({', '.join(running)}) will stop and be shown "
                     "as 'Stopped': not met, not breached.")
    lines.append("The reason is recorded on the case's timeline. This cannot be undone.")
    return lines


class CaseWithdraw(ActionView):
    """The scheme's withdraw action, confirmed: says what will happen and asks why."""

    def page(self, request: HttpRequest, reference: str) -> Page:
        case = case_or_404(request, reference)
        message = scheme_for(case.version_id).message("withdraw")
        if message is None:
            raise Http404(f"{case.reference}'s process has no withdraw action.")
        back = reverse("cases:case", args=[case.reference])
        if case.status != CaseStatus.OPEN:
            intro = [f"{case.reference} is {case.get_status_display().lower()}: there is "
                     "nothing to withdraw."]
        else:
            intro = _withdraw_consequences(case)
        return Page(title=f"{message.label}?", caption=case.reference, submit=message.label,
                    back=back, back_label="Cancel and go back to the case", warning=True,
                    details=[("Case", case.reference), ("Stage", case.stage or "Not started")],
                    intro=intro,
                    fields=[Field("reason", message.reason, kind="textarea")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                reference: str) -> HttpResponse:
        case = services.case_withdraw(user=request.user, reference=reference,
                                      reason=values.get("reason", "")[:500])
        message = scheme_for(case.version_id).message("withdraw")
        messages.success(request, f"{case.reference}: {message.event if message else 'done'}.")
        return redirect("cases:case", reference=case.reference)
