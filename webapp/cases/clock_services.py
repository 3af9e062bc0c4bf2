"""Pause, resume and extend clocks. Each change is a clock event, under the case lock."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from webapp.audit.models import Operation
from webapp.cases import case_notices
from webapp.cases.access import second_person_decide
from webapp.cases.case_step import CaseStep, case_step, engine_call, lock_case
from webapp.cases.models import Case, CaseStatus, EventKind
from webapp.clocks.durations import duration_problem, duration_words
from webapp.clocks.models import (
    CaseClock,
    ClockAlert,
    ClockEvent,
    ClockEventKind,
    ExtensionRequest,
)
from webapp.clocks.sync import align_timer, declared_clock, recompute_clock, snapshot_of
from webapp.errors import ServiceError
from webapp.forces.models import Membership
from webapp.permissions import Action, require

MAX_REASON = 500
OWN_EXTENSION = ("You asked for this extension, so another decision maker must approve it (you "
                 "may refuse it).")


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ServiceError("invalid", "Give a reason.", field_errors={"reason": ["Give a reason."]})
    return reason[:MAX_REASON]


def _open_clock(case: Case, clock: str, *, declared: bool = True) -> CaseClock:
    """The case's clock row; refused unless the case is open and has the clock (and, if
    ``declared``, the case's process version still declares that clock)."""
    if case.status != CaseStatus.OPEN:
        raise ServiceError("conflict", f"{case.reference} is {case.get_status_display()}: "
                                       "its clocks can no longer change.")
    row = CaseClock.objects.filter(case=case, clock=clock).first()
    if row is None:
        raise ServiceError("not_found", f"{case.reference} has no '{clock}' clock running.")
    if declared and declared_clock(case, clock) is None:
        raise ServiceError("conflict", f"The {row.label.lower()} clock is no longer part of "
                                       f"{case.reference}'s process: it can no longer change.")
    return row


def _clock_step(membership: Membership, user: AbstractBaseUser,
                reference: str) -> AbstractContextManager[CaseStep]:
    """The step on the user's force's case ``reference`` (the case row alone is locked)."""
    return case_step(user=user, lock=lambda: lock_case(reference=reference,
                                                       force=membership.force))


def _change(membership: Membership, reference: str, clock: str, user: AbstractBaseUser,
            record: Callable[[CaseStep, CaseClock], tuple[str, str]], *,
            declared: bool = True) -> CaseClock:
    """One step: lock the case, check the clock, fire what is due, record the change,
    re-align the timer, save, and log it."""
    with _clock_step(membership, user, reference) as step:
        case = step.case
        row = _open_clock(case, clock, declared=declared)
        instance = step.load()  # what fell due before the change fires first
        detail, justification = record(step, row)
        updated = recompute_clock(case, clock, step.now)
        engine_call(lambda: align_timer(instance, declared_clock(case, clock),
                                        snapshot_of(updated)), case)
        step.event(EventKind.CLOCK, detail=detail)
        step.sync(instance, instance.status())
        step.access(Operation.ALTER, justification, fields=[f"clock:{clock}"])
        return CaseClock.objects.get(case=case, clock=clock)


def clock_pause(*, user: AbstractBaseUser, reference: str, clock: str, reason: str) -> CaseClock:
    """Stop a clock counting, e.g. while awaiting the applicant (a reason is required)."""
    membership = require(user, Action.MANAGE_CLOCKS)
    why = _reason(reason)

    def record(step: CaseStep, row: CaseClock) -> tuple[str, str]:
        if row.state not in ("running", "breached") or row.stopped_at is not None:
            raise ServiceError("conflict", f"The {row.label.lower()} clock is {row.state}.")
        ClockEvent.objects.create(case=step.case, clock=row.clock, kind=ClockEventKind.PAUSED,
                                  at=timezone.now(), actor=user, reason=why)
        return f"{row.label} clock paused: {why}", f"{row.label} clock paused"

    return _change(membership, reference, clock, user, record)


def clock_resume(*, user: AbstractBaseUser, reference: str, clock: str) -> CaseClock:
    """Start a paused clock again; its due time moves by the time it was paused."""
    membership = require(user, Action.MANAGE_CLOCKS)

    def record(step: CaseStep, row: CaseClock) -> tuple[str, str]:
        if row.state != "paused":
            raise ServiceError("conflict", f"The {row.label.lower()} clock is not paused.")
        ClockEvent.objects.create(case=step.case, clock=row.clock, kind=ClockEventKind.RESUMED,
                                  at=timezone.now(), actor=user)
        return f"{row.label} clock resumed", f"{row.label} clock resumed"

    return _change(membership, reference, clock, user, record)


def extension_request(*, user: AbstractBaseUser, reference: str, clock: str, duration: str,
                      reason: str) -> ExtensionRequest:
    """Ask for more time for exceptional circumstances; a decision maker approves or refuses."""
    membership = require(user, Action.MANAGE_CLOCKS)
    why = _reason(reason)
    if problem := duration_problem(duration):
        raise ServiceError("invalid", problem, field_errors={"amount": [problem]})
    with _clock_step(membership, user, reference) as step:
        row = _open_clock(step.case, clock)
        request = ExtensionRequest.objects.create(
            case=step.case, clock=clock, duration=duration, reason=why, requested_by=user,
            requested_at=step.now)
        detail = (f"Extension of {duration_words(duration)} to the {row.label.lower()} clock "
                  f"requested: {why}")
        step.event(EventKind.CLOCK, detail=detail)
        step.access(Operation.ALTER, f"extension of {duration_words(duration)} to the "
                                     f"{row.label.lower()} clock requested",
                    fields=[f"clock:{clock}"])
        case_notices.extension_asked(step.case, request, row.label)
    return request


def extension_decide(*, user: AbstractBaseUser, request_id: int,
                     approve: bool) -> ExtensionRequest:
    """A decision maker approves (the clock's due time moves) or refuses an extension."""
    membership = require(user, Action.DECIDE_EXTENSIONS)
    request = (ExtensionRequest.objects.select_related("case")
               .filter(pk=request_id, case__force=membership.force).first())
    if request is None:
        raise ServiceError("not_found", "No such extension request in your force.")

    def record(step: CaseStep, row: CaseClock) -> tuple[str, str]:
        locked = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        second_person_decide(locked, user, approve=approve, own=OWN_EXTENSION)
        locked.save(update_fields=["approved", "decided_by", "decided_at"])
        case_notices.extension_decided(step.case, locked, row.label)
        if not approve:
            refusal = (f"Extension of {duration_words(locked.duration)} to the "
                       f"{row.label.lower()} clock refused")
            return refusal, refusal
        ClockEvent.objects.create(case=step.case, clock=row.clock, kind=ClockEventKind.EXTENDED,
                                  at=locked.decided_at, actor=locked.requested_by,
                                  duration=locked.duration, reason=locked.reason,
                                  approved_by=user)
        added = duration_words(locked.duration)
        return (f"{row.label} clock extended by {added}: {locked.reason}",
                f"{row.label} clock extended by {added}")

    if not approve and request.case.status != CaseStatus.OPEN:
        return _refuse_on_closed_case(user, request)
    # a pending request on a clock the version no longer declares can still be refused
    _change(membership, request.case.reference, request.clock, user, record, declared=approve)
    request.refresh_from_db()
    return request


def _refuse_on_closed_case(user: AbstractBaseUser, request: ExtensionRequest) -> ExtensionRequest:
    """A request left pending when its case closed can still be refused (its clocks no longer
    change), so that it does not wait for a decision for ever."""
    with case_step(user=user, lock=lambda: lock_case(pk=request.case_id)) as step:
        case = step.case
        locked = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        second_person_decide(locked, user, approve=False, own=OWN_EXTENSION)
        locked.save(update_fields=["approved", "decided_by", "decided_at"])
        detail = (f"Extension of {duration_words(locked.duration)} refused: the case is "
                  f"{case.get_status_display().lower()}")
        step.event(EventKind.CLOCK, detail=detail, at=locked.decided_at)
        label = CaseClock.objects.filter(case=case, clock=locked.clock).values_list(
            "label", flat=True).first() or "case's"
        case_notices.extension_decided(case, locked, label.capitalize())
        step.access(Operation.ALTER, f"extension of {duration_words(locked.duration)} to the "
                                     f"{label.lower()} clock refused: the case is "
                                     f"{case.get_status_display().lower()}",
                    fields=[f"clock:{locked.clock}"])
    return locked


def alert_acknowledge(*, user: AbstractBaseUser, alert_id: int) -> ClockAlert:
    """A decision maker who may act on the case marks a warning or breach as seen."""
    membership = require(user, Action.ACKNOWLEDGE_ALERTS)
    found = (ClockAlert.objects.filter(pk=alert_id, force=membership.force)
             .values_list("case_id", flat=True).first())
    if found is None:
        raise ServiceError("not_found", "No such open alert in your force.")
    with case_step(user=user, lock=lambda: lock_case(pk=found, force=membership.force)) as step:
        alert = (ClockAlert.objects.select_for_update()
                 .filter(pk=alert_id, acknowledged_at__isnull=True).first())
        if alert is None:
            raise ServiceError("not_found", "No such open alert in your force.")
        alert.case = step.case
        alert.acknowledged_by, alert.acknowledged_at = user, step.now
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
        label = CaseClock.objects.filter(case=step.case, clock=alert.clock).values_list(
            "label", flat=True).first() or alert.clock
        step.access(Operation.ALTER, f"{alert.get_kind_display().lower()} alert acknowledged: "
                                     f"{label.lower()} clock", fields=["alert"])
    return alert
