"""Thin views over the clock services: one POST each, then back to the case page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from webapp.cases import clock_services as services
from webapp.cases.step_incidents import incident_retry
from webapp.clocks.durations import extension_duration
from webapp.errors import ServiceError
from webapp.refusals import refused


@login_required
@require_POST
def pause(request: HttpRequest, reference: str, clock: str) -> HttpResponse:
    try:
        row = services.clock_pause(user=request.user, reference=reference, clock=clock,
                                   reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(request, f"The {row.label.lower()} clock is paused.")
    return redirect("cases:case", reference=reference)


@login_required
@require_POST
def resume(request: HttpRequest, reference: str, clock: str) -> HttpResponse:
    try:
        row = services.clock_resume(user=request.user, reference=reference, clock=clock)
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(request, f"The {row.label.lower()} clock is running again.")
    return redirect("cases:case", reference=reference)


@login_required
@require_POST
def extension_request(request: HttpRequest, reference: str, clock: str) -> HttpResponse:
    try:
        services.extension_request(user=request.user, reference=reference, clock=clock,
                                   duration=extension_duration(request.POST),
                                   reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(request, "Extension requested: a decision maker will approve or refuse it.")
    return redirect("cases:case", reference=reference)


@login_required
@require_POST
def extension_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        decided = services.extension_decide(user=request.user, request_id=request_id,
                                            approve=request.POST.get("approve") == "yes")
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(request, "Extension approved." if decided.approved else "Extension refused.")
    return redirect("cases:case", reference=decided.case.reference)


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    try:
        services.alert_acknowledge(user=request.user, alert_id=alert_id)
    except ServiceError as exc:
        return refused(request, exc)
    return redirect("cases:queue")


@login_required
@require_POST
def retry(request: HttpRequest, incident_id: int) -> HttpResponse:
    try:
        case = incident_retry(user=request.user, incident_id=incident_id)
    except ServiceError as exc:
        return refused(request, exc)
    messages.success(request, f"{case.reference} will be tried again.")
    return redirect("cases:case", reference=case.reference)
