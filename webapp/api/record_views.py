"""A case's recorded answers, break-glass and the access log through the API, with the pages'
presenters and services: the same need-to-know, the same words, the same log entries."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.api import record_serializers as rs
from webapp.api.idempotency import CaseResponse, idempotent
from webapp.api.views import ERRORS, _member
from webapp.audit.log import record
from webapp.audit.models import AccessLog, BreakGlass, Operation
from webapp.cases import selectors
from webapp.cases.access import break_glass, break_glass_review, consult
from webapp.cases.case_words import timeline
from webapp.cases.labelled import flat_rows
from webapp.cases.models import Case
from webapp.cases.parties import hidden_fields
from webapp.errors import ServiceError
from webapp.permissions import Action, require
from webapp.processes.registry import scheme_for

AUDITORS_ONLY = "The access log is for auditors."
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PAGE_SIZE = re.compile(r"[0-9]{1,3}")


def _force_case(request: Request, reference: str) -> Case:
    """The case if in the caller's force (need-to-know is the caller's next check)."""
    case = selectors.case_detail(_member(request), reference)
    if case is None:
        raise Http404("No such case in your force.")
    return case


def _recorded_forms(case: Case, roles: list[str]) -> list[dict[str, Any]]:
    """Each form recorded on the case, as the case page shows it (the timeline's labelled
    rows), with the machine values beside the words; hidden parties' fields left out."""
    hidden = hidden_fields(scheme_for(case.version_id), roles)
    forms = []
    for event in timeline(case, selectors.case_events(case), roles):
        if not event.data:
            continue
        forms.append({
            "task_name": event.task_name, "bpmn_id": event.bpmn_id, "stage": event.stage,
            "at": event.at, "actor": event.actor.get_username() if event.actor else None,
            "outcome": event.outcome,
            "data": {k: v for k, v in event.data.items() if k not in hidden},
            "rows": event.rows,
            "answers": [{"question": q, "answer": a} for q, a in flat_rows(event.rows)],
        })
    return forms


class CaseAnswers(APIView):
    @extend_schema(
        responses={200: rs.RecordedFormOut(many=True), **ERRORS},
        summary="The answers recorded on a case, form by form",
        description="Every completed form of the case (the intake form first), with the "
                    "recorded values and the same answers in the forms' own words, as the "
                    "case page and its CSV show them. Fields of parties the caller's role may "
                    "not see are left out. The read is logged in the access log.",
        operation_id="case_answers")
    def get(self, request: Request, reference: str) -> Response:
        case = _force_case(request, reference)
        consult(request.user, case, what="case answers (API)",
                fields=("recorded information",))
        forms = _recorded_forms(case, list(_member(request).roles))
        return Response(rs.RecordedFormOut(forms, many=True).data)


class CaseBreakGlass(APIView):
    @extend_schema(
        request=rs.BreakGlassIn, responses={201: rs.BreakGlassOut, **ERRORS},
        summary="Open a case outside one's working relationships (break-glass)",
        description="For a case the caller has no working relationship with (its reads answer "
                    "403): a reason is required, the access is logged, lasts 8 hours and is "
                    "flagged for an auditor's review.",
        operation_id="case_break_glass")
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        case = _force_case(request, reference)
        body = rs.BreakGlassIn(data=request.data)
        body.is_valid(raise_exception=True)
        glass = break_glass(user=request.user, case=case, **body.validated_data)
        return CaseResponse(rs.BreakGlassOut(glass).data, case_id=case.pk,
                            status=status.HTTP_201_CREATED)


def _auditor(request: Request) -> Any:
    _member(request)
    return require(request.user, Action.AUDIT, AUDITORS_ONLY)


class BreakGlassList(APIView):
    @extend_schema(
        responses={200: rs.BreakGlassOut(many=True), **ERRORS},
        summary="Break-glass accesses awaiting review (auditors)",
        description="The force's unreviewed accesses, oldest first (at most 50), as the access "
                    "log page lists them.",
        operation_id="break_glass_list")
    def get(self, request: Request) -> Response:
        membership = _auditor(request)
        rows = list(BreakGlass.objects.filter(case__force_id=membership.force_id,
                                              reviewed_at__isnull=True)
                    .select_related("user", "case", "reviewed_by").order_by("at")[:50])
        if rows:
            record(actor=request.user, operation=Operation.CONSULT, object_type="break-glass",
                   object_id="api", fields=sorted({g.case.reference for g in rows}),
                   justification="review of break-glass accesses")
        return Response(rs.BreakGlassOut(rows, many=True).data)


class BreakGlassReview(APIView):
    @extend_schema(
        request=rs.ReviewIn, responses={200: rs.BreakGlassOut, **ERRORS},
        summary="Review a break-glass access (auditors)",
        description="Another auditor than the one who opened the case records whether the "
                    "access was justified, and why; an access reviewed already is a 409.",
        operation_id="break_glass_review")
    @idempotent
    def post(self, request: Request, glass_id: int) -> Response:
        force_id = _member(request).force_id
        if not BreakGlass.objects.filter(pk=glass_id, case__force_id=force_id).exists():
            raise Http404("No such break-glass access in your force.")
        _auditor(request)
        body = rs.ReviewIn(data=request.data)
        body.is_valid(raise_exception=True)
        glass = break_glass_review(user=request.user, glass_id=glass_id, **body.validated_data)
        return CaseResponse(rs.BreakGlassOut(glass).data, case_id=glass.case_id)


class LogPages(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-id",)


def _day(request: Request, name: str, *, end: bool) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw) if ISO_DATE.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None:
        message = f"{name} must be a real date written as YYYY-MM-DD, like 2026-03-27."
        raise ServiceError("invalid", message, field_errors={name: [message]})
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def _page_size(params: Any) -> None:
    """A page size the caller asked for must be one (the paginator would silently ignore it)."""
    raw = params.getlist("page_size")
    if not raw:
        return
    if len(raw) > 1 or not PAGE_SIZE.fullmatch(raw[0]) or not (
            1 <= int(raw[0]) <= LogPages.max_page_size):
        message = f"page_size must be one whole number from 1 to {LogPages.max_page_size}."
        raise ServiceError("invalid", message, field_errors={"page_size": [message]})


class AccessLogList(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("user", str, description="an officer's username"),
            OpenApiParameter("case", str, description="a case reference (or what was read)"),
            OpenApiParameter("from", OpenApiTypes.DATE, description="from this day"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="up to the end of this day"),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", {"type": "integer", "minimum": 1,
                                           "maximum": LogPages.max_page_size},
                             description="entries per page (50 unless given)"),
        ],
        responses={200: rs.AccessLogPage, **ERRORS},
        summary="The access log of the caller's force (auditors)",
        description="The DPA 2018 s.62 log, newest first, with the access log page's filters. "
                    "This consultation is itself logged.",
        operation_id="access_log")
    def get(self, request: Request) -> Response:
        membership = _auditor(request)
        params = request.query_params
        _page_size(params)
        rows = AccessLog.objects.filter(force_code=membership.force.code)
        if params.get("user"):
            rows = rows.filter(actor_username=params["user"][:150])
        if params.get("case"):
            rows = rows.filter(object_id=params["case"][:64])
        start, finish = _day(request, "from", end=False), _day(request, "to", end=True)
        if start:
            rows = rows.filter(at__gte=start)
        if finish:
            rows = rows.filter(at__lte=finish)
        pages = LogPages()
        page = list(pages.paginate_queryset(rows, request, view=self) or [])
        # read before this consultation is logged, as the page does
        data = rs.AccessLogOut(page, many=True).data
        record(actor=request.user, operation=Operation.CONSULT, object_type="access log",
               object_id="api", justification="audit of the access log (API)")
        return pages.get_paginated_response(data)
