"""Why a supervisor takes a task from the officer holding it: a reason from a short list (its
words may go in the access log) and, for 'another reason', what it is (kept on the case)."""

from __future__ import annotations

from django.db import models

from webapp.errors import ServiceError

CHOOSE_REASON = "Select why the task is being reassigned."
SAY_REASON = "Enter why the task is being reassigned."


class ReassignReason(models.TextChoices):
    AWAY = "away", "The officer is away or unavailable"
    WORKLOAD = "workload", "To balance the team's workload"
    SKILLS = "skills", "The task needs other skills or experience"
    CONFLICT = "conflict", "A conflict of interest"
    OTHER = "other", "Another reason"


def reassign_reason(code: str, words: str) -> str:
    """The reason as the timeline shows it; a 400 naming the missing answer otherwise."""
    if code not in ReassignReason.values:
        raise ServiceError("invalid", CHOOSE_REASON,
                           field_errors={"reason_code": [CHOOSE_REASON]})
    words = " ".join(words.split())[:300]
    if code == ReassignReason.OTHER and not words:
        raise ServiceError("invalid", SAY_REASON, field_errors={"reason": [SAY_REASON]})
    label = ReassignReason(code).label
    return f"{label} ({words})" if words else label
