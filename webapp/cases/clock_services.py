"""Pause, resume and extend clocks. Each change is a clock event, under the case lock."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from engine import EngineError
from webapp.cases.access import may_act, second_person_decide
from webapp.cases.models import Case, CaseEvent, CaseStatus, EventKind
from webapp.cases.sync import sync_derived_rows
from webapp.cases.timers import load_for_step
from webapp.clocks.arithmetic import parse_duration
from webapp.clocks.models import (
    CaseClock,
    ClockAlert,
    ClockEvent,
    ClockEventKind,
    ExtensionRequest,
)
from webapp.clocks.sync import align_timer, declared_clock, recompute_clock, snapshot_of
from webapp.errors import ServiceError
from webapp.forces.models import Membership, Role

MAX_REASON = 500
OWN_EXTENSION = ("You asked for this extension, so another decision maker must approve it (you "
                 "may refuse it).")


def _membership(user: AbstractBaseUser, *roles: str) -> Membership:
    membership = getattr(user, "membership", None)
    if membership is None or not set(roles) & set(membership.roles):
        labels = " or ".join(Role(r).label.lower() for r in roles)
        raise ServiceError("forbidden", f"Only a {labels} may do that.")
    return membership


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ServiceError("invalid", "Give a reason.", field_errors={"reason": ["Give a reason."]})
    return reason[:MAX_REASON]


def _locked_open_case(membership: Membership, user: AbstractBaseUser, reference: str,
                      clock: str, *, declared: bool = True) -> tuple[Case, CaseClock]:
    """Lock the case; refuse it unless the user may act on it, it is open and has the clock
    (and, if ``declared``, the case's process version still declares that clock)."""
    case = (Case.objects.select_for_update(of=("self",)).select_related("force")
            .filter(reference=reference, force=membership.force).first())
    if case is None:
        raise ServiceError("not_found", "No such case in your force.")
    may_act(user, case)
    if case.status != CaseStatus.OPEN:
        raise ServiceError("conflict", f"{case.reference} is {case.get_status_display()}: "
                                       "its clocks can no longer change.")
    row = CaseClock.objects.filter(case=case, clock=clock).first()
    if row is None:
        raise ServiceError("not_found", f"{case.reference} has no '{clock}' clock running.")
    if declared and declared_clock(case, clock) is None:
        raise ServiceError("conflict", f"The {row.label.lower()} clock is no longer part of "
                                       f"{case.reference}'s process: it can no longer change.")
    return case, row


def _change(membership: Membership, reference: str, clock: str, user: AbstractBaseUser,
            record: Callable[[Case, CaseClock], str], *, declared: bool = True) -> CaseClock:
    """Lock the case, check the clock, fire what is due, record the change, re-align the timer,
    save."""
    with transaction.atomic(durable=True):
        case, row = _locked_open_case(membership, user, reference, clock, declared=declared)
        now = timezone.now()
        try:
            loaded = load_for_step(case, now=now)  # what fell due before the change fires first
            detail = record(case, row)
            updated = recompute_clock(case, clock, now)
            align_timer(loaded.instance, declared_clock(case, clock), snapshot_of(updated))
            CaseEvent.objects.create(case=case, at=now, actor=user, kind=EventKind.CLOCK,
                                     detail=detail[:500])
            sync_derived_rows(case, loaded.instance, loaded.instance.status(), now=now,
                              ready_before=loaded.ready_before, timer_rows=loaded.timer_rows)
        except EngineError as exc:
            raise ServiceError.from_engine(exc) from exc
        return CaseClock.objects.get(case=case, clock=clock)


def clock_pause(*, user: AbstractBaseUser, reference: str, clock: str, reason: str) -> CaseClock:
    """Stop a clock counting, e.g. while awaiting the applicant (a reason is required)."""
    membership = _membership(user, Role.CASE_OFFICER, Role.DECISION_MAKER)
    why = _reason(reason)

    def record(case: Case, row: CaseClock) -> str:
        if row.state not in ("running", "breached") or row.stopped_at is not None:
            raise ServiceError("conflict", f"The {row.label.lower()} clock is {row.state}.")
        ClockEvent.objects.create(case=case, clock=row.clock, kind=ClockEventKind.PAUSED,
                                  at=timezone.now(), actor=user, reason=why)
        return f"{row.label} clock paused: {why}"

    return _change(membership, reference, clock, user, record)


def clock_resume(*, user: AbstractBaseUser, reference: str, clock: str) -> CaseClock:
    """Start a paused clock again; its due time moves by the time it was paused."""
    membership = _membership(user, Role.CASE_OFFICER, Role.DECISION_MAKER)

    def record(case: Case, row: CaseClock) -> str:
        if row.state != "paused":
            raise ServiceError("conflict", f"The {row.label.lower()} clock is not paused.")
        ClockEvent.objects.create(case=case, clock=row.clock, kind=ClockEventKind.RESUMED,
                                  at=timezone.now(), actor=user)
        return f"{row.label} clock resumed"

    return _change(membership, reference, clock, user, record)


def extension_request(*, user: AbstractBaseUser, reference: str, clock: str, duration: str,
                      reason: str) -> ExtensionRequest:
    """Ask for more time for exceptional circumstances; a decision maker approves or refuses."""
    membership = _membership(user, Role.CASE_OFFICER, Role.DECISION_MAKER)
    why = _reason(reason)
    try:
        parse_duration(duration)
    except ValueError as exc:
        raise ServiceError("invalid", str(exc), field_errors={"duration": [str(exc)]}) from exc
    with transaction.atomic(durable=True):
        case, _ = _locked_open_case(membership, user, reference, clock)
        request = ExtensionRequest.objects.create(
            case=case, clock=clock, duration=duration, reason=why, requested_by=user,
            requested_at=timezone.now())
        CaseEvent.objects.create(case=case, at=request.requested_at, actor=user,
                                 kind=EventKind.CLOCK,
                                 detail=f"Extension of {duration} requested: {why}"[:500])
    return request


def extension_decide(*, user: AbstractBaseUser, request_id: int,
                     approve: bool) -> ExtensionRequest:
    """A decision maker approves (the clock's due time moves) or refuses an extension."""
    membership = _membership(user, Role.DECISION_MAKER)
    request = (ExtensionRequest.objects.select_related("case")
               .filter(pk=request_id, case__force=membership.force).first())
    if request is None:
        raise ServiceError("not_found", "No such extension request in your force.")

    def record(case: Case, row: CaseClock) -> str:
        locked = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        second_person_decide(locked, user, approve=approve, own=OWN_EXTENSION)
        locked.save(update_fields=["approved", "decided_by", "decided_at"])
        if not approve:
            return f"Extension of {locked.duration} to the {row.label.lower()} clock refused"
        ClockEvent.objects.create(case=case, clock=row.clock, kind=ClockEventKind.EXTENDED,
                                  at=locked.decided_at, actor=locked.requested_by,
                                  duration=locked.duration, reason=locked.reason,
                                  approved_by=user)
        return f"{row.label} clock extended by {locked.duration}: {locked.reason}"

    if not approve and request.case.status != CaseStatus.OPEN:
        return _refuse_on_closed_case(user, request)
    # a pending request on a clock the version no longer declares can still be refused
    _change(membership, request.case.reference, request.clock, user, record, declared=approve)
    request.refresh_from_db()
    return request


def _refuse_on_closed_case(user: AbstractBaseUser, request: ExtensionRequest) -> ExtensionRequest:
    """A request left pending when its case closed can still be refused (its clocks no longer
    change), so that it does not wait for a decision for ever."""
    with transaction.atomic(durable=True):
        case = Case.objects.select_for_update().get(pk=request.case_id)
        may_act(user, case)
        locked = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        second_person_decide(locked, user, approve=False, own=OWN_EXTENSION)
        locked.save(update_fields=["approved", "decided_by", "decided_at"])
        CaseEvent.objects.create(case=case, at=locked.decided_at, actor=user,
                                 kind=EventKind.CLOCK,
                                 detail=f"Extension of {locked.duration} refused: the case is "
                                        f"{case.get_status_display().lower()}")
    return locked


def alert_acknowledge(*, user: AbstractBaseUser, alert_id: int) -> ClockAlert:
    """A decision maker who may act on the case marks a warning or breach as seen."""
    membership = _membership(user, Role.DECISION_MAKER)
    with transaction.atomic(durable=True):
        alert = (ClockAlert.objects.select_for_update().select_related("case")
                 .filter(pk=alert_id, force=membership.force,
                         acknowledged_at__isnull=True).first())
        if alert is None:
            raise ServiceError("not_found", "No such open alert in your force.")
        may_act(user, alert.case)
        alert.acknowledged_by, alert.acknowledged_at = user, timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    return alert
