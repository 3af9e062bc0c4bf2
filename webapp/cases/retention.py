"""Retention: every closed case gets a review date from its class. Erasing a case, or lifting
its legal hold, is asked by one information manager (auditor role) with a recorded reason and
approved by another; nothing is erased while a legal hold is on."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from webapp.audit.erasure import erase_case_rows
from webapp.audit.log import record
from webapp.audit.models import Operation, RetentionAction, RetentionRequest
from webapp.cases.access import second_person_decide
from webapp.cases.evidence import attachments_erase
from webapp.cases.models import Case, CaseStatus
from webapp.cases.name_words import words_release
from webapp.errors import ServiceError
from webapp.forces.models import Membership
from webapp.permissions import Action, require

# Review periods in years (MoPI: public-protection matters reviewed every 10 years, other
# records after a 6-year clear period). Local policy may change these; erasure is never automatic.
RETENTION_YEARS = {"public_protection": 10, "other": 6}


def retention_for(klass: str, closed_at: datetime) -> tuple[str, date]:
    """The class (from the scheme's outcome declarations) and first review date of a case
    closing now."""
    klass = klass if klass in RETENTION_YEARS else "other"
    closed = timezone.localdate(closed_at)
    years = RETENTION_YEARS[klass]
    try:
        due = closed.replace(year=closed.year + years)
    except ValueError:  # 29 February
        due = closed.replace(year=closed.year + years, day=28)
    return klass, due


def _information_manager(user: AbstractBaseUser) -> Membership:
    return require(user, Action.RETENTION)


def _locked_case(membership: Membership, reference: str) -> Case:
    case = Case.objects.select_for_update().filter(
        reference=reference, force_id=membership.force_id).first()
    if case is None:
        raise ServiceError("not_found", "No such case in your force.")
    return case


def legal_hold_place(*, user: AbstractBaseUser, reference: str, reason: str) -> None:
    """Put a case under legal hold (nothing may erase it), with a reason. One auditor suffices:
    a hold only protects; lifting it is asked and approved (``retention_ask``)."""
    membership = _information_manager(user)
    if not reason.strip():
        raise ServiceError("invalid", "Give the reason for the hold.")
    with transaction.atomic(durable=True):
        case = _locked_case(membership, reference)
        if case.legal_hold:
            raise ServiceError("conflict", f"{reference} is already under legal hold.")
        case.legal_hold = True
        case.save(update_fields=["legal_hold"])
        record(actor=user, operation=Operation.ALTER, object_type="case", object_id=reference,
               fields=["legal_hold"], justification=reason.strip()[:500])


def _check_may(case: Case, action: str) -> None:
    """Refuse an action the case's state does not allow (checked when asked and when approved)."""
    if action == RetentionAction.LIFT_HOLD:
        if not case.legal_hold:
            raise ServiceError("conflict", f"{case.reference} is not under legal hold.")
        return
    if case.status != CaseStatus.CLOSED or case.erased_at is not None:
        raise ServiceError("conflict", "Only a closed case not yet erased can be erased.")
    if case.legal_hold:
        raise ServiceError("conflict", f"{case.reference} is under legal hold.")
    if case.review_due is None or case.review_due > timezone.localdate():
        raise ServiceError("conflict", f"{case.reference} is not due for review until "
                                       f"{case.review_due}.")


def retention_ask(*, user: AbstractBaseUser, reference: str, action: str,
                  reason: str) -> RetentionRequest:
    """Ask for a case to be erased or its legal hold lifted; another auditor must approve."""
    membership = _information_manager(user)
    if action not in RetentionAction.values:
        raise ServiceError("invalid", "Choose what to ask for.")
    if len(reason.strip()) < 10:  # noqa: PLR2004 - a recorded decision, not a token
        raise ServiceError("invalid", "Record the review decision (why the data is no longer "
                                      "needed, or why the hold may end).")
    with transaction.atomic(durable=True):
        case = _locked_case(membership, reference)
        _check_may(case, action)
        if RetentionRequest.objects.filter(case=case, action=action,
                                           approved__isnull=True).exists():
            raise ServiceError("conflict", f"{reference} already has that request waiting for "
                                           "a second auditor.")
        return RetentionRequest.objects.create(
            case=case, action=action, reason=reason.strip()[:500], requested_by=user,
            requested_at=timezone.now())


def retention_decide(*, user: AbstractBaseUser, request_id: int, approve: bool,
                     note: str = "") -> RetentionRequest:
    """A second auditor approves (the case is erased or its hold lifted) or refuses a request."""
    membership = _information_manager(user)
    with transaction.atomic(durable=True):
        request = (RetentionRequest.objects.select_for_update(of=("self",))
                   .select_related("case", "requested_by")
                   .filter(pk=request_id, case__force_id=membership.force_id).first())
        if request is None:
            raise ServiceError("not_found", "No such retention request in your force.")
        second_person_decide(request, user, approve=approve, own_may_refuse=False,
                             own="Another auditor must decide a request you made.")
        request.note = note.strip()[:500]
        request.save(update_fields=["approved", "decided_by", "decided_at", "note"])
        if approve:
            case = _locked_case(membership, request.case.reference)
            _check_may(case, request.action)
            _carry_out(user, case, request)
    return request


def _carry_out(user: AbstractBaseUser, case: Case, request: RetentionRequest) -> None:
    asked = f"asked by {request.requested_by.get_username()}: {request.reason}"[:500]
    if request.action == RetentionAction.LIFT_HOLD:
        case.legal_hold = False
        case.save(update_fields=["legal_hold"])
        record(actor=user, operation=Operation.ALTER, object_type="case",
               object_id=case.reference, fields=["legal_hold"], justification=asked)
        return
    attachments_erase(case)  # the documents' bytes, deleted once the erasure commits
    words_release(case.pk, case.force_id)  # its name words, from the force's vocabulary
    erase_case_rows(case)
    case.erased_at = timezone.now()
    case.save(update_fields=["erased_at"])
    record(actor=user, operation=Operation.ERASE, object_type="case", object_id=case.reference,
           fields=["parties", "recorded information", "workflow state", "case notes", "documents"],
           justification=asked)
