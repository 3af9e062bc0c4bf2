"""Drafts of new enquiries: the intake form as its author left it, per author and scheme.

Saved by the page as it is typed (and when the idle sign-out warning shows), restored when the
author comes back, deleted when the case is recorded and purged after DRAFT_DAYS. A draft is
personal data that is not yet part of any case: it is never logged (log lines name the user
and scheme only) and never shown to anyone but its author.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from webapp.cases.models import EnquiryDraft

# An enquiry is recorded the day it comes in; a draft older than this is abandoned.
DRAFT_DAYS = 7
MAX_DRAFT_BYTES = 200_000


def draft_save(*, user: AbstractBaseUser, scheme: str, data: dict[str, Any]) -> EnquiryDraft:
    """Keep ``data`` as the author's draft of ``scheme`` (replacing the one before)."""
    if len(json.dumps(data)) > MAX_DRAFT_BYTES:
        raise ValueError("draft too large")
    draft, _ = EnquiryDraft.objects.update_or_create(
        user=user, scheme=scheme[:100], defaults={"data": data, "updated_at": timezone.now()})
    return draft


def draft_for(*, user: AbstractBaseUser, scheme: str) -> EnquiryDraft | None:
    """The author's live draft of ``scheme`` (an expired one is not offered)."""
    oldest = timezone.now() - timedelta(days=DRAFT_DAYS)
    return EnquiryDraft.objects.filter(user=user, scheme=scheme, updated_at__gte=oldest).first()


def draft_discard(*, user: AbstractBaseUser, scheme: str) -> None:
    EnquiryDraft.objects.filter(user=user, scheme=scheme).delete()


def drafts_purge() -> int:
    """Delete drafts older than DRAFT_DAYS; return how many."""
    oldest = timezone.now() - timedelta(days=DRAFT_DAYS)
    deleted, _ = EnquiryDraft.objects.filter(updated_at__lt=oldest).delete()
    return deleted
