"""Who is acting, from where, in which request: set per request, read by the access log."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    client_address: str


current: ContextVar[RequestInfo | None] = ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    """Remembers the request id and client address for log entries made while it runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current.set(RequestInfo(
            request_id=getattr(request, "correlation_id", "")[:64],
            client_address=(request.META.get("REMOTE_ADDR") or "")[:45]))
        try:
            return self.get_response(request)
        finally:
            current.reset(token)
