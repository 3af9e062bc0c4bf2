"""The retention pages: cases due for review or under legal hold, and the requests one auditor
made that another must approve or refuse."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from webapp.audit.models import RetentionRequest
from webapp.audit.views import _auditor
from webapp.cases.models import Case, CaseStatus
from webapp.cases.retention import legal_hold_place, retention_ask, retention_decide
from webapp.errors import ServiceError
from webapp.refusals import refused


@login_required
def retention_page(request: HttpRequest) -> HttpResponse:
    """Cases due for review, and the requests waiting for a second auditor."""
    membership = _auditor(request)
    due = (Case.objects.filter(force_id=membership.force_id, erased_at__isnull=True)
           .filter(Q(status=CaseStatus.CLOSED, review_due__lte=timezone.localdate())
                   | Q(legal_hold=True))
           .order_by("review_due", "reference")[:50])
    waiting = (RetentionRequest.objects.filter(case__force_id=membership.force_id,
                                               approved__isnull=True)
               .select_related("case", "requested_by").order_by("requested_at"))
    return render(request, "audit/retention.html", {
        "reviews": due, "waiting": waiting, "nav": "audit"})


def _retention_done(request: HttpRequest, call: Callable[[], object],
                    done: str) -> HttpResponse:
    try:
        call()
    except ServiceError as exc:
        return refused(request, exc, back=reverse("audit:retention"))
    messages.success(request, done)
    return redirect("audit:retention")


@login_required
@require_POST
def hold(request: HttpRequest, reference: str) -> HttpResponse:
    return _retention_done(request, lambda: legal_hold_place(
        user=request.user, reference=reference, reason=request.POST.get("reason", "")),
        f"{reference} is under legal hold.")


@login_required
@require_POST
def ask(request: HttpRequest, reference: str) -> HttpResponse:
    return _retention_done(request, lambda: retention_ask(
        user=request.user, reference=reference, action=request.POST.get("action", ""),
        reason=request.POST.get("reason", "")),
        f"{reference}: request recorded; another auditor must approve it.")


@login_required
@require_POST
def decide(request: HttpRequest, request_id: int) -> HttpResponse:
    approve = request.POST.get("decision") == "approve"
    return _retention_done(request, lambda: retention_decide(
        user=request.user, request_id=request_id, approve=approve,
        note=request.POST.get("note", "")),
        "Approved and carried out." if approve else "Request refused; nothing was changed.")
