"""Clocks, extensions, alerts and incidents through the API: the same services the pages call,
so the same roles, need-to-know and second-person rules decide. Another force's case or row is
a 404 before the body is read."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.api import clock_serializers as cs
from webapp.api import serializers as s
from webapp.api.idempotency import CaseResponse, idempotent
from webapp.api.views import ERRORS, _case, _case_detail, _log_search, _member
from webapp.cases import clock_services
from webapp.cases.access import may_act
from webapp.cases.case_words import labelled_alerts
from webapp.cases.models import Case, Incident
from webapp.cases.oversight import force_pending_extensions, open_incidents
from webapp.cases.step_incidents import incident_retry
from webapp.clocks import selectors as clock_selectors
from webapp.clocks.durations import extension_duration
from webapp.clocks.models import CaseClock, ClockAlert, ExtensionRequest
from webapp.permissions import Action, require

NO_CLOCK = "No such clock in your force."


def _clock(request: Request, reference: str, clock: str) -> None:
    """404 unless the caller's force has the case and it has the clock (as the pages check);
    403 without need-to-know, before the body is read (the services check again under the
    case lock)."""
    force_id = _member(request).force_id
    row = (CaseClock.objects.filter(case__force_id=force_id, case__reference=reference,
                                    clock=clock).select_related("case").first())
    if row is None:
        raise Http404(NO_CLOCK)
    may_act(request.user, row.case)


def _in_force(request: Request, model: Any, pk: int, message: str, *,
              force_field: str = "force_id") -> None:
    """404 unless the row ``pk`` belongs to the caller's force."""
    force_id = _member(request).force_id
    if not model.objects.filter(pk=pk, **{force_field: force_id}).exists():
        raise Http404(message)


def _force_list(request: Request, action: Action, what: str, rows_of: Any,
                out: Any) -> Response:
    """A force-wide list the team queue page shows (``rows_of(membership)``), for a role that
    may take ``action`` on its rows; the read is logged with the cases it names."""
    _member(request)
    rows = list(rows_of(require(request.user, action)))
    _log_search(request, what, sorted({row.case.reference for row in rows}))
    return Response(out(rows, many=True).data)


def _body(serializer: Any, request: Request) -> dict[str, Any]:
    body = serializer(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class ClockPause(APIView):
    @extend_schema(
        request=cs.PauseIn, responses={200: s.ClockOut, **ERRORS},
        summary="Pause a case's clock (case officers and decision makers)",
        description="Stops the clock counting, e.g. while awaiting the applicant. Refused "
                    "(409) unless the clock is running or breached and the case is open.",
        operation_id="clock_pause")
    @idempotent
    def post(self, request: Request, reference: str, clock: str) -> Response:
        _clock(request, reference, clock)
        require(request.user, Action.MANAGE_CLOCKS)  # a refused role is a 403 whatever the body
        body = _body(cs.PauseIn, request)
        row = clock_services.clock_pause(user=request.user, reference=reference, clock=clock,
                                         reason=body["reason"])
        return CaseResponse(s.ClockOut(row).data, case_id=row.case_id)


class ClockResume(APIView):
    @extend_schema(
        request=None, responses={200: s.ClockOut, **ERRORS},
        summary="Resume a paused clock (case officers and decision makers)",
        description="The clock runs again; its due time moves by the time it was paused.",
        operation_id="clock_resume")
    @idempotent
    def post(self, request: Request, reference: str, clock: str) -> Response:
        _clock(request, reference, clock)
        row = clock_services.clock_resume(user=request.user, reference=reference, clock=clock)
        return CaseResponse(s.ClockOut(row).data, case_id=row.case_id)


class ExtensionAsk(APIView):
    @extend_schema(
        request=cs.ExtensionIn, responses={201: cs.ExtensionOut, **ERRORS},
        summary="Request more time on a clock (case officers and decision makers)",
        description="A decision maker other than the requester approves or refuses it.",
        operation_id="extension_request")
    @idempotent
    def post(self, request: Request, reference: str, clock: str) -> Response:
        _clock(request, reference, clock)
        require(request.user, Action.MANAGE_CLOCKS)
        body = _body(cs.ExtensionIn, request)
        duration = extension_duration({"amount": str(body["amount"]), "unit": body["unit"]})
        ask = clock_services.extension_request(user=request.user, reference=reference,
                                               clock=clock, duration=duration,
                                               reason=body["reason"])
        return CaseResponse(cs.ExtensionOut(ask).data, case_id=ask.case_id,
                            status=status.HTTP_201_CREATED)


class CaseExtensions(APIView):
    @extend_schema(
        responses={200: cs.ExtensionOut(many=True), **ERRORS},
        summary="A case's extension requests awaiting a decision",
        description="As the case page lists them, for anyone who may see the case (the read is "
                    "logged).",
        operation_id="case_extensions")
    def get(self, request: Request, reference: str) -> Response:
        case = _case(request, reference, log="case extensions (API)")
        rows = clock_selectors.pending_extensions(case).order_by("requested_at", "pk")
        return Response(cs.ExtensionOut(rows, many=True).data)


class ExtensionList(APIView):
    @extend_schema(
        responses={200: cs.ExtensionOut(many=True), **ERRORS},
        summary="Extension requests awaiting a decision (decision makers)",
        description="The force's pending requests on open cases, oldest first (at most 50), "
                    "as the team queue page lists them.",
        operation_id="extension_list")
    def get(self, request: Request) -> Response:
        return _force_list(request, Action.DECIDE_EXTENSIONS, "extension requests",
                           force_pending_extensions, cs.ExtensionOut)


class ExtensionDecide(APIView):
    @extend_schema(
        request=cs.DecisionIn, responses={200: cs.ExtensionOut, **ERRORS},
        summary="Approve or refuse an extension request (decision makers)",
        description="The requester may refuse their own request but not approve it (403); a "
                    "request already decided is a 409.",
        operation_id="extension_decide")
    @idempotent
    def post(self, request: Request, request_id: int) -> Response:
        _in_force(request, ExtensionRequest, request_id,
                  "No such extension request in your force.", force_field="case__force_id")
        require(request.user, Action.DECIDE_EXTENSIONS)
        body = _body(cs.DecisionIn, request)
        decided = clock_services.extension_decide(user=request.user, request_id=request_id,
                                                  approve=body["approve"])
        return CaseResponse(cs.ExtensionOut(decided).data, case_id=decided.case_id)


class AlertList(APIView):
    @extend_schema(
        responses={200: cs.AlertOut(many=True), **ERRORS},
        summary="Open clock warnings, breaches and risk alerts (decision makers)",
        description="The force's unacknowledged alerts, newest first (at most 50), as the team "
                    "queue page lists them.",
        operation_id="alert_list")
    def get(self, request: Request) -> Response:
        return _force_list(request, Action.ACKNOWLEDGE_ALERTS, "alerts",
                           lambda member: labelled_alerts(clock_selectors.open_alerts(member)),
                           cs.AlertOut)


class AlertAcknowledge(APIView):
    @extend_schema(
        request=None, responses={200: cs.AlertOut, **ERRORS},
        summary="Acknowledge an alert (decision makers)",
        description="Marks a warning, breach or risk alert as seen; an alert acknowledged "
                    "already is a 404.",
        operation_id="alert_acknowledge")
    @idempotent
    def post(self, request: Request, alert_id: int) -> Response:
        _in_force(request, ClockAlert, alert_id, "No such alert in your force.")
        alert = clock_services.alert_acknowledge(user=request.user, alert_id=alert_id)
        return CaseResponse(cs.AlertOut(alert).data, case_id=alert.case_id)


class IncidentList(APIView):
    @extend_schema(
        responses={200: cs.IncidentOut(many=True), **ERRORS},
        summary="Open incidents: cases whose background step failed (decision makers)",
        description="Newest first (at most 50), as the team queue page lists them.",
        operation_id="incident_list")
    def get(self, request: Request) -> Response:
        return _force_list(request, Action.RETRY_INCIDENTS, "incidents", open_incidents,
                           cs.IncidentOut)


class IncidentRetry(APIView):
    @extend_schema(
        request=None, responses={200: s.CaseDetailOut, **ERRORS},
        summary="Retry a case after an incident (decision makers)",
        description="Once the cause is fixed: resolves the case's open incidents and lets the "
                    "timer sweep try its step again. A closed or erased case is a 409.",
        operation_id="incident_retry")
    @idempotent
    def post(self, request: Request, incident_id: int) -> Response:
        _in_force(request, Incident, incident_id, "No such incident in your force.")
        case = incident_retry(user=request.user, incident_id=incident_id)
        return CaseResponse(_case_detail(Case.objects.get(pk=case.pk), request),
                            case_id=case.pk)
