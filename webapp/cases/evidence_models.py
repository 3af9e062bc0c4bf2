"""A case's notes and documents (attachments): kept beside the case, never in its row.

Notes are append-only: there is no service that edits or deletes one (erasure blanks it with
the case). An attachment's bytes live in Django's default storage (``MEDIA_ROOT``) under a
generated name; the row keeps what was checked of them: the sniffed content type, size and
sha256.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AttachmentKind(models.TextChoices):
    ID_EVIDENCE = "identity", "Identity evidence"
    AGREEMENT = "agreement", "Signed confidentiality agreement and undertaking"
    LETTER = "letter", "Letter"
    PARTNER_REPLY = "partner_reply", "Reply from a partner agency"
    OTHER = "other", "Other document"


class CaseNote(models.Model):
    """A note an officer wrote on the case; shown in its timeline."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="case_notes")
    at = models.DateTimeField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.case_id}"


class Attachment(models.Model):
    """A document added to a case: the bytes are in storage under ``stored_name``."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=20, choices=AttachmentKind.choices)
    description = models.CharField(max_length=200, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    stored_name = models.CharField(max_length=100, blank=True)  # "" once erased
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"attachment {self.pk} on case {self.case_id}"
