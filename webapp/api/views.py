"""One thin view per operation; every read is scoped to the caller's force (others' are 404)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.api import serializers as s
from webapp.api.idempotency import CaseResponse, idempotent
from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.cases import selectors, services
from webapp.cases.access import consult, may_act, visible_tasks
from webapp.cases.diagram import diagram_marks, main_diagram
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.cases.task_page import form_for_task
from webapp.errors import ServiceError
from webapp.forces.models import Membership, Role
from webapp.permissions import Action, member, require
from webapp.processes.deployments import scheme_titles
from webapp.processes.models import Deployment, ProcessVersion

MAX_UTC_OFFSET = timedelta(hours=14)  # the widest real zone; PostgreSQL refuses far wider ones
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
REVISION = re.compile(r"[0-9]{1,18}")
PROBLEM = OpenApiResponse(description="RFC 9457 problem details (application/problem+json)")
ERRORS = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}


def _member(request: Request) -> Membership:
    return member(request.user)


def _case(request: Request, reference: str, *, log: str = "") -> Case:
    """The case, if in the caller's force; with ``log``, need-to-know checked and logged."""
    membership = _member(request)
    case = selectors.case_detail(membership, reference)
    if case is None:
        raise Http404("No such case in your force.")
    if log:
        consult(request.user, case, what=log)
    else:
        may_act(request.user, case)
    return case


def _task(request: Request, task_id: int, *, log: bool = False) -> HumanTask:
    """The task, if in the caller's force and they may know its case (logged with ``log``):
    checked before the body is read, so the answer does not depend on the body."""
    task = selectors.task_detail(_member(request), task_id)
    if task is None:
        raise Http404("No such task in your force.")
    if log:
        consult(request.user, task.case, what="task (API)")
    else:
        may_act(request.user, task.case)
    return task


def _log_search(request: Request, what: str, references: list[str]) -> None:
    if references:
        record(actor=request.user, operation=Operation.CONSULT, object_type=what,
               object_id="api", fields=references, justification=f"{what} through the API")


def _case_detail(case: Case, request: Request | None = None) -> dict[str, Any]:
    """The case as the caller may see it (parties their role may not see left out)."""
    case.version_label = str(case.version)
    case.timeline = list(selectors.case_events(case))
    roles = _member(request).roles if request is not None else None
    return s.CaseDetailOut(case, context={"roles": roles,
                                          "schemes": scheme_titles(case.force_id)}).data


def _etag(case: Case) -> str:
    return f'"{case.revision}"'


class Pages(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class EnquiryCreate(APIView):
    @extend_schema(
        request=s.EnquiryIn,
        responses={201: s.CaseDetailOut, **ERRORS},
        summary="Record an enquiry (starts a case)",
        operation_id="enquiry_create",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        body = s.EnquiryIn(data=request.data)
        body.is_valid(raise_exception=True)
        case = services.case_start(user=request.user, **body.validated_data)
        return CaseResponse(_case_detail(Case.objects.get(pk=case.pk), request), case_id=case.pk,
                            status=status.HTTP_201_CREATED)


class CaseList(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("status", str),
            OpenApiParameter("stage", str),
            OpenApiParameter("scheme", str, description="a scheme's process id"),
            OpenApiParameter("cursor", str),
        ],
        responses={200: s.CasePage, **ERRORS},
        summary="Search the force's cases",
        operation_id="case_list",
    )
    def get(self, request: Request) -> Response:
        membership = _member(request)
        qs = selectors.cases(
            membership,
            text=request.query_params.get("q", "")[:100],
            status=request.query_params.get("status", ""),
            stage=request.query_params.get("stage", "")[:100],
            scheme=request.query_params.get("scheme", "")[:100],
        )
        pages = Pages()
        pages.ordering = ("-opened_at", "-id")
        page = pages.paginate_queryset(qs, request, view=self)
        _log_search(request, "case search", [c.reference for c in page])
        context = {"roles": list(membership.roles),
                   "schemes": scheme_titles(membership.force_id)}
        return pages.get_paginated_response(
            s.CaseSummaryOut(page, many=True, context=context).data)


class CaseDetail(APIView):
    @extend_schema(
        responses={200: s.CaseDetailOut, **ERRORS}, summary="A case", operation_id="case_detail"
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(_case_detail(_case(request, reference, log="case (API)"), request))


class CaseDiagram(APIView):
    @extend_schema(
        responses={200: s.DiagramOut, **ERRORS},
        summary="The case's diagram XML and its highlighted state",
        operation_id="case_diagram",
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _case(request, reference, log="case diagram (API)")
        return Response({"xml": main_diagram(case), **diagram_marks(case)})


class CaseWithdraw(APIView):
    @extend_schema(
        request=s.WithdrawIn,
        responses={200: s.CaseDetailOut, **ERRORS},
        summary="Withdraw the case (the scheme's declared withdraw message)",
        operation_id="case_withdraw",
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        _case(request, reference)  # another force's case is a 404 whatever the body
        body = s.WithdrawIn(data=request.data)
        body.is_valid(raise_exception=True)
        case = services.case_withdraw(
            user=request.user, reference=reference, reason=body.validated_data["reason"]
        )
        return CaseResponse(_case_detail(case, request), case_id=case.pk)


TASK_FILTERS = [
    OpenApiParameter("assignee", str, description="a username, or 'me'"),
    OpenApiParameter("unassigned", bool),
    OpenApiParameter("atRisk", bool, description="only tasks of cases at immediate risk"),
    OpenApiParameter("candidateRole", str, enum=[r.value for r in Role]),
    OpenApiParameter("dueBefore", OpenApiTypes.DATETIME),
    OpenApiParameter("dueAfter", OpenApiTypes.DATETIME),
    OpenApiParameter("stage", str),
    OpenApiParameter("caseReference", str),
    OpenApiParameter("scheme", str, description="a scheme's process id"),
    OpenApiParameter("state", str, enum=["ready", "completed", "cancelled"]),
    OpenApiParameter("sortBy", str, enum=["due", "created"]),
    OpenApiParameter("sortOrder", str, enum=["asc", "desc"]),
    OpenApiParameter("cursor", str),
]


def _choice(params: Any, name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    value = params.get(name, default)
    if value is not None and value not in allowed:
        raise ServiceError("invalid", f"{name} must be one of: {', '.join(allowed)}.",
                           field_errors={name: [f"Must be one of: {', '.join(allowed)}."]})
    return value


def _when(params: Any, name: str) -> datetime | None:
    if name not in params:
        return None
    raw = params.get(name, "")
    try:
        parsed = parse_datetime(raw) if RFC3339.fullmatch(raw) else None
    except ValueError:
        parsed = None
    offset = parsed.utcoffset() if parsed is not None else None
    if parsed is None or offset is None or abs(offset) > MAX_UTC_OFFSET:
        raise ServiceError("invalid", f"{name} must be an ISO 8601 time with a time zone.",
                           field_errors={name: ["Give an ISO 8601 time with a time zone."]})
    return parsed


def _task_query(request: Request, membership: Membership) -> QuerySet[HumanTask]:
    params = request.query_params
    state = _choice(params, "state", tuple(TaskState.values), TaskState.READY)
    qs = HumanTask.objects.filter(visible_tasks(membership), state=state)
    qs = qs.select_related("case", "assignee")
    assignee = params.get("assignee")
    if assignee:
        qs = qs.filter(
            assignee__username=request.user.get_username() if assignee == "me" else assignee
        )
    if _choice(params, "unassigned", ("true", "false", "1", "0"), None) in ("true", "1"):
        qs = qs.filter(assignee__isnull=True)
    if _choice(params, "atRisk", ("true", "false", "1", "0"), None) in ("true", "1"):
        qs = qs.filter(at_risk=True)
    filters = {
        "role": _choice(params, "candidateRole", tuple(Role.values), None),
        "due_at__lt": _when(params, "dueBefore"),
        "due_at__gte": _when(params, "dueAfter"),
        "stage": params.get("stage"),
        "case__reference": params.get("caseReference"),
        "case__scheme": params.get("scheme"),
    }
    return qs.filter(**{k: v for k, v in filters.items() if v})


class TaskQuery(APIView):
    @extend_schema(
        parameters=TASK_FILTERS,
        responses={200: s.TaskPage, **ERRORS},
        summary="Query tasks (Camunda-style filters)",
        operation_id="task_query",
    )
    def get(self, request: Request) -> Response:
        membership = _member(request)
        qs = _task_query(request, membership)
        field = {"due": "due_at", "created": "created_at"}[
            _choice(request.query_params, "sortBy", ("due", "created"), "due")
        ]
        descending = _choice(request.query_params, "sortOrder", ("asc", "desc"), "asc") == "desc"
        pages = Pages()
        pages.ordering = (f"-{field}", "-id") if descending else (field, "id")
        page = pages.paginate_queryset(qs, request, view=self)
        _log_search(request, "task query", sorted({t.case.reference for t in page}))
        context = {"schemes": scheme_titles(membership.force_id)}
        return pages.get_paginated_response(s.TaskOut(page, many=True, context=context).data)


class TaskDetail(APIView):
    @extend_schema(
        responses={200: s.TaskDetailOut, **ERRORS},
        summary="A task with its form's JSON Schema (ETag for If-Match)",
        operation_id="task_detail",
    )
    def get(self, request: Request, task_id: int) -> Response:
        task = _task(request, task_id, log=True)
        task.form_schema = form_for_task(task)[0]
        response = Response(s.TaskDetailOut(task).data)
        response["ETag"] = _etag(task.case)
        return response


class TaskClaim(APIView):
    @extend_schema(
        request=None,
        responses={200: s.TaskOut, **ERRORS},
        summary="Claim a task",
        operation_id="task_claim",
    )
    @idempotent
    def post(self, request: Request, task_id: int) -> Response:
        task = services.task_claim(user=request.user, task_id=task_id)
        return CaseResponse(s.TaskOut(task).data, case_id=task.case_id)


class TaskRelease(APIView):
    @extend_schema(
        request=None,
        responses={200: s.TaskOut, **ERRORS},
        summary="Release a task to the team queue",
        operation_id="task_release",
    )
    @idempotent
    def post(self, request: Request, task_id: int) -> Response:
        task = services.task_release(user=request.user, task_id=task_id)
        return CaseResponse(s.TaskOut(task).data, case_id=task.case_id)


class TaskAssign(APIView):
    @extend_schema(
        request=s.AssignIn,
        responses={200: s.TaskOut, **ERRORS},
        summary="Assign a task (decision makers)",
        operation_id="task_assign",
    )
    @idempotent
    def post(self, request: Request, task_id: int) -> Response:
        _task(request, task_id)  # another force's task is a 404 whatever the body
        body = s.AssignIn(data=request.data)
        body.is_valid(raise_exception=True)
        target = (
            get_user_model()
            .objects.filter(username=body.validated_data["assignee"])
            .values_list("pk", flat=True)
            .first()
        )
        if target is None:
            raise ServiceError("not_found", "No such officer in your force.")
        task = services.task_assign(user=request.user, task_id=task_id, assignee_id=target,
                                    reason_code=body.validated_data.get("reason_code", ""),
                                    reason=body.validated_data.get("reason", ""))
        return CaseResponse(s.TaskOut(task).data, case_id=task.case_id)


class TaskComplete(APIView):
    @extend_schema(
        request=s.TaskCompleteIn,
        parameters=[
            OpenApiParameter(
                "If-Match", str, OpenApiParameter.HEADER, description="the task's ETag"
            )
        ],
        responses={200: s.CaseDetailOut, **ERRORS},
        summary="Complete a task with its form data",
        operation_id="task_complete",
    )
    @idempotent
    def post(self, request: Request, task_id: int) -> Response:
        _task(request, task_id)  # another force's task is a 404 whatever the body
        body = s.TaskCompleteIn(data=request.data)
        body.is_valid(raise_exception=True)
        if_match = request.headers.get("If-Match", "").strip().strip('"')
        revision = None
        if if_match:
            # A revision is a bigint: ASCII digits only (int() also takes "²" and other
            # Unicode digits) and no longer than one, so int() never meets its digit limit.
            if not REVISION.fullmatch(if_match):
                raise ServiceError("invalid", "If-Match must be the ETag of the task, as "
                                              "GET /api/v1/tasks/{id} gives it.")
            revision = int(if_match)
        case = services.task_complete(
            user=request.user,
            task_id=task_id,
            data=body.validated_data["data"],
            if_revision=revision,
        )
        return CaseResponse(_case_detail(case, request), case_id=case.pk)


def _policy_lead(request: Request) -> Membership:
    _member(request)
    return require(request.user, Action.USE_STUDIO, "Only policy leads see process versions.")


class VersionList(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("scheme", str, description="a scheme's process id")],
        responses={200: s.VersionOut(many=True), **ERRORS},
        summary="Published process versions (policy leads)",
        operation_id="version_list",
    )
    def get(self, request: Request) -> Response:
        _policy_lead(request)
        versions = (ProcessVersion.objects.defer("files", "spec_json")
                    .select_related("created_by").order_by("process_id", "-number"))
        if scheme := request.query_params.get("scheme"):
            versions = versions.filter(process_id=scheme[:100])
        return Response(s.VersionOut(versions, many=True).data)


class DeploymentList(APIView):
    @extend_schema(
        responses={200: s.DeploymentOut(many=True), **ERRORS},
        summary="Deployments to the caller's force (policy leads)",
        operation_id="deployment_list",
    )
    def get(self, request: Request) -> Response:
        membership = _policy_lead(request)
        rows = (
            Deployment.objects.filter(force_id=membership.force_id)
            .select_related("version", "requested_by", "decided_by")
            .defer("version__files", "version__spec_json")
            .order_by("-requested_at")
        )
        return Response(s.DeploymentOut(rows, many=True).data)
