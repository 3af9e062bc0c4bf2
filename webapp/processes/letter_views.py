"""The studio's letters: the force's letters and documents, and a policy lead's page to write
the force's own version of one, preview it as a PDF against sample words, save it (refused with
the problem and its line, the text kept, when it does not render) or go back to the scheme's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from webapp.downloads import as_attachment
from webapp.errors import ServiceError
from webapp.processes import letter_overrides as overrides
from webapp.processes.models import LetterOverride


def _or_404(exc: ServiceError) -> Http404:
    return Http404(exc.message)


@login_required
def letter_list(request: HttpRequest) -> HttpResponse:
    try:
        rows = overrides.force_letters(request.user)
    except ServiceError as exc:
        raise _or_404(exc) from exc
    return render(request, "studio/letters.html", {"rows": rows, "nav": "studio"})


def _page(request: HttpRequest, scheme: str, key: str, text: str | None = None,
          error: ServiceError | None = None) -> HttpResponse:
    definition, letter = overrides.force_letter(request.user, scheme, key)
    membership = request.user.membership  # type: ignore[union-attr]
    override = LetterOverride.objects.filter(force_id=membership.force_id, scheme=scheme,
                                             letter=key).first()
    if text is None:
        text = override.template if override else overrides.scheme_template(definition, letter)
    return render(request, "studio/letter.html", {
        "scheme": scheme, "scheme_title": definition.scheme.title, "letter": letter,
        "override": override, "text": text, "nav": "studio",
        "changes": overrides.letter_changes(membership.force_id, scheme, key),
        "error": error.message if error is not None else "",
    }, status=error.http_status if error is not None else 200)


@login_required
def letter_edit(request: HttpRequest, scheme: str, key: str) -> HttpResponse:
    try:
        if request.method != "POST":
            return _page(request, scheme, key)
        text = request.POST.get("template", "")
        action = request.POST.get("action", "save")
        try:
            if action == "preview":
                definition, letter = overrides.force_letter(request.user, scheme, key)
                pdf = overrides.sample_pdf(definition, text.replace("\r\n", "\n"))
                response = HttpResponse(pdf, content_type="application/pdf")
                response["X-Content-Type-Options"] = "nosniff"
                return as_attachment(response, f"preview-{key.replace('_', '-')}.pdf")
            if action == "remove":
                overrides.letter_override_remove(user=request.user, scheme=scheme, key=key)
                messages.success(request, "The force now uses the scheme's own template.")
            else:
                overrides.letter_override_save(user=request.user, scheme=scheme, key=key,
                                               text=text)
                messages.success(request, "The force's version of the letter has been saved.")
        except ServiceError as exc:
            if exc.http_status in (403, 404):  # noqa: PLR2004 - HTTP statuses
                raise
            return _page(request, scheme, key, text=text, error=exc)
        return redirect("studio:letters")
    except ServiceError as exc:
        raise _or_404(exc) from exc
