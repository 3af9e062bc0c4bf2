"""The auditor's page: the access log by user, case and period; break-glass reviews; the
retention reviews due (worked on the retention page, ``retention_views``)."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from webapp.audit.log import record
from webapp.audit.models import AccessLog, BreakGlass, Operation
from webapp.audit.verification import last_chain_verification
from webapp.cases.access import break_glass_review
from webapp.cases.models import Case, CaseStatus
from webapp.errors import ServiceError
from webapp.permissions import Action, allows
from webapp.refusals import refused


def _auditor(request: HttpRequest):  # noqa: ANN202 - a Membership
    membership = getattr(request.user, "membership", None)
    if not allows(membership, Action.AUDIT):
        raise Http404("The access log is for auditors.")
    return membership


def _day(raw: str, end: bool) -> datetime | None:
    day = parse_date(raw) if raw else None
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    membership = _auditor(request)
    params = request.GET
    rows = AccessLog.objects.filter(force_code=membership.force.code).order_by("-pk")
    if params.get("user"):
        rows = rows.filter(actor_username=params["user"][:150])
    if params.get("case"):
        rows = rows.filter(object_id=params["case"][:64])
    if start := _day(params.get("from", ""), end=False):
        rows = rows.filter(at__gte=start)
    if finish := _day(params.get("to", ""), end=True):
        rows = rows.filter(at__lte=finish)
    page = Paginator(rows, 50).get_page(params.get("page"))
    record(actor=request.user, operation=Operation.CONSULT, object_type="access log",
           object_id=f"page {page.number}", justification="audit of the access log")
    return render(request, "audit/index.html", {
        "page": page, "filters": params, "verification": last_chain_verification(),
        "glass": BreakGlass.objects.filter(case__force_id=membership.force_id,
                                           reviewed_at__isnull=True)
                 .select_related("user", "case").order_by("at")[:50],
        "reviews": Case.objects.filter(force_id=membership.force_id, status=CaseStatus.CLOSED,
                                       erased_at__isnull=True,
                                       review_due__lte=timezone.localdate())
                   .order_by("review_due")[:50],
        "nav": "audit"})


@login_required
@require_POST
def review(request: HttpRequest, glass_id: int) -> HttpResponse:
    try:
        break_glass_review(user=request.user, glass_id=glass_id,
                           outcome=request.POST.get("outcome", ""),
                           note=request.POST.get("note", ""))
    except ServiceError as exc:
        return refused(request, exc, back=reverse("audit:index"))
    messages.success(request, "Review recorded.")
    return redirect("audit:index")
