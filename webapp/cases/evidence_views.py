"""Pages for a case's notes and documents: add a note, add a document (action pages), and
download a document (need-to-know checked, logged, always a download, never shown inline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from webapp.action_pages import ActionView, Field, Page
from webapp.cases.action_views import case_or_404
from webapp.cases.case_words import display_name
from webapp.cases.evidence import NOTE_MAX, attachment_add, attachment_download, note_add
from webapp.cases.file_types import ALLOWED_WORDS, label_of
from webapp.cases.models import Attachment, AttachmentKind, Case, CaseNote
from webapp.errors import ServiceError
from webapp.permissions import Action, allows


def _page(case: Case, title: str, submit: str, **extra: Any) -> Page:
    return Page(title=title, submit=submit, caption=case.reference,
                back=reverse("cases:case", args=[case.reference]), back_label="Back to the case",
                **extra)


class CaseNoteAdd(ActionView):
    """Write a note on the case; it joins the timeline and cannot be changed afterwards."""

    def page(self, request: HttpRequest, reference: str) -> Page:
        case = case_or_404(request, reference)
        return _page(case, f"Add a note to {case.reference}", "Add the note",
                     intro=["The note is added to the case's timeline with your name and the "
                            "time. It cannot be changed or deleted afterwards."],
                     fields=[Field("text", "Note", kind="textarea", max_length=NOTE_MAX,
                                   hint="Write what happened or what you decided, and why.")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                reference: str) -> HttpResponse:
        note_add(user=request.user, reference=reference, text=values.get("text", ""))
        messages.success(request, "Your note has been added to the timeline.")
        return redirect("cases:case", reference=reference)


class AttachmentAdd(ActionView):
    """Add a document (identity evidence, a signed agreement, a letter, a partner's reply)."""

    def page(self, request: HttpRequest, reference: str) -> Page:
        case = case_or_404(request, reference)
        return _page(case, f"Add a document to {case.reference}", "Add the document",
                     intro=[f"The document must be {ALLOWED_WORDS}. Only people working the "
                            "case can download it, and each download is logged."],
                     fields=[Field("kind", "What is the document?", kind="radios",
                                   choices=AttachmentKind.choices),
                             Field("description", "Description (optional)", max_length=200,
                                   hint="For example: passport, photo page"),
                             Field("file", "Document", kind="file")])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                reference: str) -> HttpResponse:
        attachment = attachment_add(user=request.user, reference=reference,
                                    kind=values.get("kind", ""),
                                    upload=request.FILES.get("file"),
                                    description=values.get("description", ""))
        messages.success(request, f"The document has been added: "
                                  f"{attachment.get_kind_display()}.")
        return redirect("cases:case", reference=reference)


@login_required
@require_GET
def attachment_file(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    case = case_or_404(request, reference)
    try:
        download = attachment_download(user=request.user, case=case,
                                       attachment_id=attachment_id)
    except ServiceError as exc:
        if exc.http_status == 404:  # noqa: PLR2004 - HTTP status
            raise Http404(exc.message) from exc
        from webapp.cases.views import _break_glass_page  # noqa: PLC0415 - one refusal page
        return _break_glass_page(request, case)
    attachment = download.attachment
    response = FileResponse(default_storage.open(attachment.stored_name, "rb"),
                            as_attachment=True, filename=download.filename,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class TimelineNote:
    """A note or document as the timeline shows it, beside the case's events."""

    def __init__(self, at: Any, actor: Any, title: str, note_text: str = "",
                 detail: str = "") -> None:
        self.at, self.actor, self.title = at, actor, title
        self.note_text, self.detail = note_text, detail
        self.task_name, self.shows_task, self.outcome, self.data = "", False, "", None


def with_notes(events: list[Any], attachments: list[Attachment],
               notes: list[CaseNote]) -> list[Any]:
    """The timeline's events with the case's notes and documents (erased ones too: the
    timeline keeps that they were added), in time order."""
    extra: list[Any] = []
    for note in notes:
        extra.append(TimelineNote(note.at, note.author, "Note" if note.text else "Note (erased)",
                                  note_text=note.text))
    for doc in attachments:
        extra.append(TimelineNote(doc.uploaded_at, doc.uploaded_by, "Document added",
                                  detail=doc.get_kind_display()))
    return sorted([*events, *extra], key=lambda e: e.at)


def evidence_context(request: HttpRequest, case: Case, membership: Any,
                     attachments: list[Attachment]) -> dict[str, Any]:
    """The case page's notes and documents section (``attachments``: the case's, as read)."""
    documents = [d for d in attachments if d.stored_name]
    for doc in documents:
        doc.added_by = display_name(doc.uploaded_by)
        doc.type_label = label_of(doc.content_type)
    may_add = allows(membership, Action.ADD_EVIDENCE) and case.erased_at is None
    return {"documents": documents, "may_add_evidence": may_add}
