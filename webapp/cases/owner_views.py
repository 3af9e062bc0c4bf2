"""Action pages over the ownership verbs (``webapp.action_pages``): claim a case's ready tasks
together, change its owner. A refusal shows the form again with what was typed."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from webapp.action_pages import ActionView, Field, Page
from webapp.cases.action_views import case_or_404, request_membership, task_or_404
from webapp.cases.case_words import display_name
from webapp.cases.models import MAX_ID_DIGITS
from webapp.cases.ownership import (
    case_claim_all,
    case_set_owner,
    claimable_on_case,
    owner_choices,
)


class TaskClaimAll(ActionView):
    """Claim, in one step, every ready task of the task's case that the user may work."""

    def page(self, request: HttpRequest, task_id: int) -> Page:
        membership = request_membership(request)
        task = task_or_404(request, task_id)
        names = [t.name for t in claimable_on_case(membership, task.case_id)]
        return Page(title=f"Claim the tasks of {task.case.reference}", submit="Claim them all",
                    caption=task.case.reference, back=reverse("cases:task", args=[task.pk]),
                    back_label="Back to the task",
                    intro=["These tasks move from the team queue to your tasks:"],
                    details=[("Tasks", "; ".join(names) or "None left to claim")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                task_id: int) -> HttpResponse:
        case, tasks = case_claim_all(user=request.user, task_id=task_id)
        names = ", ".join(f"'{t.name}'" for t in tasks)
        messages.success(request, f"You have claimed {len(tasks)} tasks of {case.reference}: "
                                  f"{names}. They are in My tasks.")
        return redirect("cases:task", task_id=task_id)


class CaseOwner(ActionView):
    """A decision maker names the case officer who owns the case, with a reason."""

    def page(self, request: HttpRequest, reference: str) -> Page:
        membership = request_membership(request)
        case = case_or_404(request, reference)
        choices = [(str(m.user_id), display_name(m.user))
                   for m in owner_choices(membership, case)]
        return Page(title=f"Change the owner of {case.reference}", submit="Change the owner",
                    caption=case.reference, back=reverse("cases:case", args=[case.reference]),
                    back_label="Back to the case",
                    intro=["The owner receives the case's next tasks that their role works."],
                    details=[("Owner now", display_name(case.owner) if case.owner
                              else "No owner yet")],
                    fields=[Field("owner", "New owner", kind="select", choices=choices,
                                  initial=str(case.owner_id or "")),
                            Field("reason", "Why the owner is changing", kind="textarea")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                reference: str) -> HttpResponse:
        owner = values.get("owner", "")
        # a value that is no id names nobody: the service refuses it after need-to-know
        owner_id = int(owner) if owner.isdecimal() and len(owner) <= MAX_ID_DIGITS else None
        case = case_set_owner(user=request.user, reference=reference, owner_id=owner_id,
                              reason=values.get("reason", ""))
        name = display_name(case.owner) if case.owner else "nobody"
        messages.success(request, f"{case.reference} is now owned by {name}.")
        return redirect("cases:case", reference=case.reference)
