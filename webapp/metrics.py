"""The series this service counts as it runs (Prometheus, ``prometheus-client``), and the
middleware that times each request by its route.

Labels never hold a path, a case reference or a name: a route is the URL pattern's name
(``cases:detail``), a method one of a few known verbs. With PROMETHEUS_MULTIPROC_DIR set
(gunicorn with several workers) each process writes its values to files there and the scrape
adds them up. Counts kept in the database (timers due, incidents, heartbeats, access-log
entries) are read at scrape time instead, in ``webapp.metrics_scrape``.

This module imports nothing of the web app, so that any layer may count through it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

REQUEST_SECONDS = Histogram(
    "dw_http_request_duration_seconds", "Time to answer a request, by route (URL pattern name).",
    ["route", "method", "status"])
FAILED_LOGINS = Counter(
    "dw_failed_logins", "Sign-in attempts refused: wrong_password (or unknown user), "
    "wrong_code (second factor), throttled (a locked account or a slowed-down address), or sso "
    "(single sign-on refused).", ["reason"])

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"  # no URL pattern: static files, a 404, a request refused early


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.view_name or UNMATCHED) if match is not None else UNMATCHED


class RequestMetricsMiddleware:
    """Times every request (what the middleware below it and the view took) by route."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        began = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        REQUEST_SECONDS.labels(route_of(request), method, str(response.status_code)).observe(
            time.perf_counter() - began)
        return response
