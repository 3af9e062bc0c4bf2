"""A case's letters and documents as PDF downloads: need-to-know checked and logged, always an
attachment (application/pdf), never shown inline."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from webapp.cases.action_views import case_or_404
from webapp.cases.letters import letter_download
from webapp.downloads import as_attachment
from webapp.errors import ServiceError


@login_required
@require_GET
def letter_file(request: HttpRequest, reference: str, key: str) -> HttpResponse:
    case = case_or_404(request, reference)
    try:
        made = letter_download(user=request.user, case=case, key=key)
    except ServiceError as exc:
        if exc.http_status == 404:  # noqa: PLR2004 - HTTP status
            raise Http404(exc.message) from exc
        if exc.http_status == 403:  # noqa: PLR2004 - HTTP status
            from webapp.cases.views import _break_glass_page  # noqa: PLC0415 - one refusal page
            return _break_glass_page(request, case)
        messages.error(request, exc.message)
        return redirect("cases:case", reference=case.reference)
    response = HttpResponse(made.content, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return as_attachment(response, made.filename)
