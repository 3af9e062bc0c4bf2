"""The operations endpoints, answered before any other middleware runs: ``/healthz`` (the
process answers; touches nothing), ``/readyz`` (ready for traffic: see ``webapp.readiness``)
for a load balancer, and ``/metrics`` for the Prometheus scraper (``webapp.metrics_scrape``).

Answering them here keeps them cheap and independent of the rest of the stack: no session is
read or made, no sign-in is needed, no host-name check or HTTPS redirect applies (probes come
by address and plain HTTP), nothing is written to the access log, and they are not counted in
the request metrics.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from webapp.metrics_scrape import metrics_response
from webapp.readiness import readiness
from webapp.request_log import PROBE_PATHS


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    failed = [check for check in checks if not check.ok]
    body = {"status": "not ready" if failed else "ready",
            "checks": {check.name: check.detail for check in checks}}
    if failed:
        body["failed"] = [check.name for check in failed]
    return JsonResponse(body, status=503 if failed else 200)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = dict(
    zip(PROBE_PATHS, (healthz, readyz, metrics_response), strict=True))


class ProbeMiddleware:
    """Answers GET and HEAD on the probe paths itself; everything else goes on down the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse("Use GET.\n", status=405,
                                    content_type="text/plain; charset=utf-8")
            response["Allow"] = "GET, HEAD"
        else:
            response = probe(request)
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
