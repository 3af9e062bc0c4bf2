"""One page for every refused action in the server-rendered UI (the API uses problem+json)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from webapp.errors import FAILURES, ServiceError, log_failure

log = logging.getLogger(__name__)


def refused(request: HttpRequest, exc: ServiceError, *, back: str = "") -> HttpResponse:
    """Say what was refused and why (with the mapped HTTP status); nothing changed.

    A failure of the process itself also shows a reference: the request id its detail is
    logged under (the page never shows interpreter messages or task data)."""
    log.info("refused: status=%s code=%s path=%s", exc.http_status, exc.code, request.path)
    reference = ""
    if exc.code in FAILURES or exc.log_detail:
        reference = getattr(request, "correlation_id", "")
        log_failure(exc, reference)
    return render(request, "cases/refused.html",
                  {"error": exc, "back": back, "reference": reference},
                  status=exc.http_status)
