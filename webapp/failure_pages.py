"""What every request that fails outside a view's own refusals answers: Django's 400, 403, 404
and 500 handlers. The API always speaks problem+json; pages are branded and show a reference
(the request id the detail is logged under), never an interpreter message.

A lost database (PostgreSQL restarting, a failover, the network) is not a defect: it is a 503
with ``Retry-After``, "try again". These pages render without the request's context
processors, which would read the session and the user from the very database that is gone.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from webapp.api.problems import database_lost, plain_problem
from webapp.context import MARKING
from webapp.errors import DATABASE_LOST, RETRY_AFTER_SECONDS

log = logging.getLogger(__name__)

_PAGES = {
    400: ("Bad request", "The request could not be understood. Nothing was changed."),
    403: ("Forbidden", "You may not do that. Nothing was changed."),
    404: ("Page not found", "There is no page at this address. Check it, or start again "
                            "from your tasks."),
    500: ("Something went wrong", "Something went wrong on our side and nothing was saved. "
                                  "Try again; if it happens again, report the reference."),
    503: ("Try again in a moment", "The service is briefly unavailable (it cannot reach its "
                                   "database). Nothing was changed. Try again in a few "
                                   "seconds."),
}
_API = {
    400: ("invalid", "The request could not be understood."),
    403: ("forbidden", "You may not do that."),
    404: ("not_found", "No such API resource: {path}. Ids are whole numbers; see "
                       "/api/schema/ for the routes."),
    500: ("server_error", "Something went wrong on our side; nothing was saved. Reference: "
                          "{reference}."),
}


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _reference(request: HttpRequest) -> str:
    return getattr(request, "correlation_id", "")


def _page(request: HttpRequest, status: int, detail: str | None = None) -> HttpResponse:
    title, message = _PAGES[status]
    message = detail or message
    html = render_to_string("failure.html", {
        "title": title, "message": message, "reference": _reference(request),
        "marking": MARKING, "status": status})
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


def _answer(request: HttpRequest, status: int, detail: str | None = None) -> HttpResponse:
    if not _is_api(request):
        return _page(request, status, detail)
    code, text = _API[status]
    return plain_problem(status, code, detail or text.format(
        path=request.path[:200], reference=_reference(request)), request)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _answer(request, 400, f"The request body is larger than {limit:,} bytes. "
                                     "Nothing was changed.")
    return _answer(request, 400)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _answer(request, 403)


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _answer(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django calls this while handling the exception (it has already logged the traceback)."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_LOST):
        response = database_lost(request) if _is_api(request) else _page(request, 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _answer(request, 500)
