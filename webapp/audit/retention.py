"""Retention: every closed case gets a review date from its class; erasure only by a recorded
decision of an information manager (auditor role), never while a legal hold is on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.errors import ServiceError
from webapp.forces.models import Role

# Review periods in years (MoPI: public-protection matters reviewed every 10 years, other
# records after a 6-year clear period). Local policy may change these; erasure is never automatic.
RETENTION_YEARS = {"public_protection": 10, "other": 6}
PUBLIC_PROTECTION = ("Disclosure", "ImmediateAction", "SafeguardingReferral",
                     "ActionAgainstSubject")


def retention_for(outcome_codes: Sequence[str], closed_at: datetime) -> tuple[str, date]:
    """The class and first review date of a case closing now."""
    protection = any(code.startswith(PUBLIC_PROTECTION) for code in outcome_codes)
    klass = "public_protection" if protection else "other"
    closed = timezone.localdate(closed_at)
    years = RETENTION_YEARS[klass]
    try:
        due = closed.replace(year=closed.year + years)
    except ValueError:  # 29 February
        due = closed.replace(year=closed.year + years, day=28)
    return klass, due


def _information_manager(user: AbstractBaseUser) -> object:
    membership = getattr(user, "membership", None)
    if membership is None or not membership.has_role(Role.AUDITOR):
        raise ServiceError("forbidden", "Only an information manager (auditor) may do that.")
    return membership


def legal_hold_set(*, user: AbstractBaseUser, reference: str, hold: bool, reason: str) -> None:
    """Put a case under legal hold (nothing may erase it) or lift the hold, with a reason."""
    from webapp.cases.models import Case

    membership = _information_manager(user)
    if not reason.strip():
        raise ServiceError("invalid", "Give the reason for the hold.")
    with transaction.atomic(durable=True):
        case = Case.objects.select_for_update().filter(
            reference=reference, force_id=membership.force_id).first()
        if case is None:
            raise ServiceError("not_found", "No such case in your force.")
        case.legal_hold = hold
        case.save(update_fields=["legal_hold"])
        record(actor=user, operation=Operation.ALTER, object_type="case", object_id=reference,
               fields=["legal_hold"], justification=reason.strip()[:500])


def case_erase(*, user: AbstractBaseUser, reference: str, decision: str) -> None:
    """Erase a reviewed case's personal data by a recorded decision (s.62 'erasure')."""
    from webapp.cases.models import Case, CaseEvent, CaseStatus, HumanTask

    membership = _information_manager(user)
    if len(decision.strip()) < 10:  # noqa: PLR2004 - a recorded decision, not a token
        raise ServiceError("invalid", "Record the review decision (why the data is no longer "
                                      "needed for a policing purpose).")
    with transaction.atomic(durable=True):
        case = Case.objects.select_for_update().filter(
            reference=reference, force_id=membership.force_id).first()
        if case is None:
            raise ServiceError("not_found", "No such case in your force.")
        if case.status != CaseStatus.CLOSED or case.erased_at is not None:
            raise ServiceError("conflict", "Only a closed case not yet erased can be erased.")
        if case.legal_hold:
            raise ServiceError("conflict", f"{reference} is under legal hold.")
        if case.review_due is None or case.review_due > timezone.localdate():
            raise ServiceError("conflict", f"{reference} is not due for review until "
                                           f"{case.review_due}.")
        case.state = b""
        case.applicant_name = case.subject_name = case.child_names = ""
        case.erased_at = timezone.now()
        case.save()
        CaseEvent.objects.filter(case=case).update(data=None, detail="")
        HumanTask.objects.filter(case=case).update(draft=None, instructions="")
        record(actor=user, operation=Operation.ERASE, object_type="case", object_id=reference,
               fields=["parties", "recorded information", "workflow state"],
               justification=decision.strip()[:500])
