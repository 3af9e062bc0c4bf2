"""What every request that fails outside a view's own refusals answers: Django's 400, 403, 404
and 500 handlers and the CSRF failure view. The API always speaks problem+json; pages are drawn
in the site's layout with the protective marking, a heading in plain words and a way on (My
tasks, or sign in), and a 5xx shows a reference (the request id the detail is logged under),
never an interpreter message.

A lost database (PostgreSQL restarting, a failover, the network) is not a defect: it is a 503
with ``Retry-After``, "try again". 5xx pages render without the request's context processors,
which would read the session and the user from the very database that is gone.
"""
from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.urls import reverse

from webapp.api.problems import database_lost, plain_problem
from webapp.context import MARKING
from webapp.errors import DATABASE_LOST, RETRY_AFTER_SECONDS

log = logging.getLogger(__name__)

# Plain words, as GOV.UK's own error pages put them: what happened, and what to do next.
_PAGES = {
    400: ("There is a problem with the request",
          ("The request could not be understood. Nothing was changed.",
           "Go back, check what you entered and try again.")),
    403: ("You cannot see this page",
          ("Your role does not let you see this page or do this. Nothing was changed.",
           "If you need it for your work, ask a supervisor.")),
    404: ("Page not found",
          ("There is no page at this address, or your role may not see it.",
           "If you typed the address, check it is correct. If you followed a link, start "
           "again from your tasks.")),
    500: ("Sorry, there is a problem with the service",
          ("Something went wrong on our side and nothing was saved.",
           "Try again. If it happens again, report it with the reference below.")),
    503: ("Sorry, the service is unavailable",
          ("The service cannot reach its database just now. Nothing was changed.",
           "Try again in a few seconds.")),
}
# The CSRF check failed: mostly a form left open across a sign-out or a session that ended.
CSRF_PAGE = ("Your form could not be sent",
             ("This happens when a page has been open a long time, or you signed in or out "
              "in another tab. Nothing was changed.",
              "Go back, reload the page and try again."))
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


def _page(request: HttpRequest, status: int, detail: str | None = None, *,
          page: tuple[str, tuple[str, ...]] | None = None) -> HttpResponse:
    """The failure page in the site's layout. A 4xx is drawn with the request's context (the
    signed-in header and navigation); a 5xx without it, since the session and user live in the
    database that may be what failed, and if drawing with it fails the bare layout is used."""
    title, paragraphs = page or _PAGES[status]
    context = {"title": title, "paragraphs": (detail,) if detail else paragraphs,
               "reference": _reference(request) if status >= 500 else "",  # noqa: PLR2004
               "marking": MARKING, "status": status}
    html = ""
    if status < 500:  # noqa: PLR2004
        try:
            signed_in = bool(getattr(request, "user", None) and request.user.is_authenticated)
            context["way_on"] = _way_on(signed_in=signed_in)
            html = render_to_string("failure.html", context, request=request)
        except DATABASE_LOST:
            log.warning("failure page drawn without the signed-in layout: database lost")
    if not html:
        context["way_on"] = _way_on(signed_in=True)
        html = render_to_string("failure.html", context)
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


def _way_on(*, signed_in: bool) -> dict[str, str]:
    """My tasks (which sends a signed-out visitor to sign in), or sign in."""
    if signed_in:
        return {"href": reverse("cases:home"), "text": "Go to your start page"}
    return {"href": resolve_url(settings.LOGIN_URL), "text": "Sign in"}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a 403 page in the layout that says what to do (never Django's
    debugging advice); problem+json on the API."""
    log.info("CSRF check failed: %s path=%s", reason, request.path)
    if _is_api(request):
        return plain_problem(403, "forbidden", "The request was refused: its CSRF token is "
                             "missing or out of date. Reload the page and try again.", request)
    return _page(request, 403, page=CSRF_PAGE)


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
