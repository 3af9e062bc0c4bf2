"""RFC 9457 problem details for every API error, with a stable code and a correlation id."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from webapp.errors import (
    DATABASE_LOST,
    FAILURES,
    HTTP_STATUS,
    RETRY_AFTER_SECONDS,
    ServiceError,
    log_failure,
    with_reference,
)

log = logging.getLogger(__name__)
PROBLEM_TYPE = "https://disclosure-workflow.invalid/problems/"
_TITLES = {400: "Bad request", 401: "Not signed in", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 410: "Gone", 412: "Precondition failed",
           415: "Unsupported media type", 422: "Unprocessable", 428: "Precondition required",
           429: "Too many requests", 500: "Server error", 503: "Service unavailable"}
DATABASE_LOST_DETAIL = ("The service cannot reach its database just now; nothing was changed. "
                        "Try again in a few seconds.")


class CorrelationIdMiddleware:
    """Every request gets an id (or keeps a sane X-Request-ID), echoed on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        ok = 8 <= len(given) <= 64 and all(c.isalnum() or c in "-_" for c in given)  # noqa: PLR2004
        request.correlation_id = given if ok else uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.correlation_id  # type: ignore[attr-defined]
        return response


def _body(status: int, code: str, detail: str, request: Any,
          field_errors: dict[str, list[str]] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code, "title": _TITLES.get(status, "Error"), "status": status,
        "detail": detail, "code": code,
        "correlation_id": getattr(getattr(request, "_request", request), "correlation_id", ""),
    }
    if field_errors:
        body["field_errors"] = field_errors
    return body


def problem(status: int, code: str, detail: str, request: Any = None,
            field_errors: dict[str, list[str]] | None = None) -> Response:
    return Response(_body(status, code, detail, request, field_errors), status=status,
                    content_type="application/problem+json")


def plain_problem(status: int, code: str, detail: str, request: HttpRequest) -> HttpResponse:
    """The same problem details outside DRF (Django's 404/500 handlers, middleware)."""
    return JsonResponse(_body(status, code, detail, request, None), status=status,
                        content_type="application/problem+json")


def database_lost(request: HttpRequest) -> HttpResponse:
    response = plain_problem(503, "unavailable", DATABASE_LOST_DETAIL, request)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _service_error(exc: ServiceError, request: Any) -> Response:
    log.info("api refused: status=%s code=%s", exc.http_status, exc.code)
    detail = exc.message
    if exc.code in FAILURES or exc.log_detail:
        reference = getattr(getattr(request, "_request", request), "correlation_id", "")
        log_failure(exc, reference)
        detail = with_reference(detail, reference)
    return problem(exc.http_status, exc.code, detail, request, exc.field_errors or None)


def _field_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(data, dict):
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            out.update(_field_errors(value, f"{prefix}{key}" if not prefix else f"{prefix}/{key}"))
        return out
    if isinstance(data, list) and all(isinstance(x, str) for x in data):
        return {prefix or "": [str(x) for x in data]}
    if isinstance(data, list):
        out = {}
        for i, item in enumerate(data):
            out.update(_field_errors(item, f"{prefix}/{i}" if prefix else str(i)))
        return out
    return {prefix or "": [str(data)]}


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, speaking problem+json."""
    request = context.get("request")
    if isinstance(exc, ServiceError):
        return _service_error(exc, request)
    if isinstance(exc, DATABASE_LOST):
        log.warning("database lost: %s: %s", type(exc).__name__, exc)
        response = problem(503, "unavailable", DATABASE_LOST_DETAIL, request)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, DataError):  # e.g. a NUL character, which PostgreSQL refuses to store
        log.info("api refused: status=400 code=invalid (database rejected a value)")
        return problem(400, "invalid", "A value in the request cannot be stored or searched "
                                       "(for example it contains a NUL character).", request)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return problem(400, "invalid", "The request has errors; nothing was changed.", request,
                       _field_errors(exc.detail))
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = next((k for k, v in HTTP_STATUS.items() if v == response.status_code), None)
    return problem(response.status_code, code or getattr(exc, "default_code", "error"),
                   str(detail), request)
