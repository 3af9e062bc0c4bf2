"""Verbs on a case's notes and documents: add a note, add a document, fetch a document for
download (a logged consultation), and delete the documents' bytes when the case is erased.

Who may add: anyone whose role works cases (``Action.ADD_EVIDENCE``) and who has a working
relationship with the case (``may_act``, the need-to-know check of the case page). Auditors
and others read only. Every addition and download is in the s.62 access log.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.cases.access import consult, may_act
from webapp.cases.file_types import ALLOWED_WORDS, SNIFF_BYTES, FileType, sniff
from webapp.cases.models import Attachment, AttachmentKind, Case, CaseNote
from webapp.errors import ServiceError
from webapp.permissions import Action, require

log = logging.getLogger(__name__)

NOTE_MAX = 5000
NOTE_WORDS = "Enter the note"
KIND_WORDS = "Select what the document is"
FILE_WORDS = "Select the document to add"


@dataclass(frozen=True)
class Download:
    """A document ready to hand out: open ``stored_name`` in storage."""

    attachment: Attachment
    filename: str


def _locked_case(user: AbstractBaseUser, reference: str) -> Case:
    membership = require(user, Action.ADD_EVIDENCE)
    case = Case.objects.select_for_update(of=("self",)).filter(
        reference=reference, force_id=membership.force_id).first()
    if case is None:
        raise ServiceError("not_found", "No such case in your force.")
    may_act(user, case)
    if case.erased_at is not None:
        raise ServiceError("conflict", f"{reference} has been erased: nothing can be added.")
    return case


def note_add(*, user: AbstractBaseUser, reference: str, text: str) -> CaseNote:
    """Append a note to the case's timeline (notes are never edited or deleted)."""
    text = text.strip()
    with transaction.atomic(durable=True):
        case = _locked_case(user, reference)  # need-to-know first, then the note's words
        if not text:
            raise ServiceError("invalid", NOTE_WORDS, field_errors={"text": [NOTE_WORDS]})
        if len(text) > NOTE_MAX:
            message = f"The note must be {NOTE_MAX} characters or fewer"
            raise ServiceError("invalid", message, field_errors={"text": [message]})
        note = CaseNote.objects.create(case=case, at=timezone.now(), author=user, text=text)
        record(actor=user, operation=Operation.COLLECT, object_type="case note",
               object_id=case.reference, fields=[f"note {note.pk}"],
               justification="note added to the case")
    return note


def _checked(upload: File | None) -> tuple[FileType, str, int]:
    """The upload's sniffed type, sha256 and size; a refusal naming what to do otherwise."""
    if upload is None or not upload.size:
        raise ServiceError("invalid", FILE_WORDS, field_errors={"file": [FILE_WORDS]})
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        message = f"The document must be smaller than {filesizeformat(limit)}"
        raise ServiceError("invalid", message, field_errors={"file": [message]})
    upload.seek(0)
    kind = sniff(upload.read(SNIFF_BYTES))
    if kind is None:
        message = f"The document must be {ALLOWED_WORDS}"
        log.info("attachment refused: content not an accepted type")
        raise ServiceError("invalid", message, field_errors={"file": [message]})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return kind, digest.hexdigest(), upload.size


def attachment_add(*, user: AbstractBaseUser, reference: str, kind: str, upload: File | None,
                   description: str = "") -> Attachment:
    """Check the document by its content, store its bytes, and record it on the case."""
    with transaction.atomic(durable=True):
        _locked_case(user, reference)  # need-to-know first: refuse before reading the file
    if kind not in AttachmentKind.values:
        raise ServiceError("invalid", KIND_WORDS, field_errors={"kind": [KIND_WORDS]})
    file_type, sha256, size = _checked(upload)
    stored = default_storage.save(f"{uuid.uuid4().hex}.{file_type.extension}", upload)
    try:
        with transaction.atomic(durable=True):
            case = _locked_case(user, reference)
            attachment = Attachment.objects.create(
                case=case, kind=kind, description=description.strip()[:200],
                original_name=str(getattr(upload, "name", ""))[-200:], stored_name=stored,
                content_type=file_type.content_type, size=size, sha256=sha256,
                uploaded_by=user, uploaded_at=timezone.now())
            record(actor=user, operation=Operation.COLLECT, object_type="attachment",
                   object_id=case.reference, fields=[f"attachment {attachment.pk}"],
                   justification=f"document added: {attachment.get_kind_display()}")
    except BaseException:
        default_storage.delete(stored)  # nothing kept of a refused or failed addition
        raise
    return attachment


def attachment_download(*, user: AbstractBaseUser, case: Case, attachment_id: int) -> Download:
    """A document of the case, after the need-to-know check, logged as a consultation."""
    attachment = Attachment.objects.filter(case=case, pk=attachment_id).first()
    if attachment is None or not attachment.stored_name:
        raise ServiceError("not_found", "No such document on this case.")
    consult(user, case, what="attachment", fields=(f"attachment {attachment.pk}",))
    filename = f"{case.reference}-document-{attachment.pk}.{attachment.stored_name.split('.')[-1]}"
    return Download(attachment, filename)


def attachments_erase(case: Case) -> list[str]:
    """Delete the case's documents from storage once the erasure commits (the rows are blanked
    by ``webapp.audit.erasure``); return the stored names. Runs with the case row locked."""
    names = [n for n in Attachment.objects.filter(case=case).values_list("stored_name", flat=True)
             if n]

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)
    return names
