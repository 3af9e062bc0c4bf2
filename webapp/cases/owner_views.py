"""Thin views over the ownership verbs: claim a case's ready tasks together, change its owner."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from webapp.cases.ownership import case_claim_all, case_set_owner
from webapp.errors import ServiceError
from webapp.refusals import refused

MAX_ID_DIGITS = 18  # a 64-bit id; longer numbers match nobody


@login_required
@require_POST
def task_claim_all(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        case, tasks = case_claim_all(user=request.user, task_id=task_id)
    except ServiceError as exc:
        return refused(request, exc, back=reverse("cases:task", args=[task_id]))
    names = ", ".join(f"'{t.name}'" for t in tasks)
    messages.success(request, f"You have claimed {len(tasks)} tasks of {case.reference}: "
                              f"{names}. They are in My tasks.")
    return redirect("cases:task", task_id=task_id)


@login_required
@require_POST
def case_owner(request: HttpRequest, reference: str) -> HttpResponse:
    back = reverse("cases:case", args=[reference])
    owner = request.POST.get("owner", "")
    owner_id = int(owner) if owner.isdigit() and len(owner) <= MAX_ID_DIGITS else None
    try:
        case = case_set_owner(user=request.user, reference=reference, owner_id=owner_id,
                              reason=request.POST.get("reason", "")[:500])
    except ServiceError as exc:
        return refused(request, exc, back=back)
    owner = case.owner.get_username() if case.owner else "nobody"
    messages.success(request, f"{case.reference} is now owned by {owner}.")
    return redirect(back)
