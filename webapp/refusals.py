"""One page for every refused action in the server-rendered UI (the API uses problem+json)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from webapp.errors import ServiceError

log = logging.getLogger(__name__)


def refused(request: HttpRequest, exc: ServiceError, *, back: str = "") -> HttpResponse:
    """Say what was refused and why (with the mapped HTTP status); nothing changed."""
    log.info("refused: status=%s code=%s path=%s", exc.http_status, exc.code, request.path)
    return render(request, "cases/refused.html", {"error": exc, "back": back},
                  status=exc.http_status)
