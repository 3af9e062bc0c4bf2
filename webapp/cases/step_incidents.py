"""A case step the process could not carry out becomes an incident on the case.

The step's own transaction has rolled back whole (nothing half-written); the incident is
written after it, in a transaction of its own, so that a decision maker sees the broken case.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from webapp.audit.models import Operation
from webapp.cases.case_step import case_step, lock_case
from webapp.cases.models import Case, CaseStatus, CaseTimer, EventKind, Incident
from webapp.errors import ServiceError, request_reference, with_reference
from webapp.permissions import Action, require

P = ParamSpec("P")
T = TypeVar("T")
KIND = "step"


def incident_on_failure(service: Callable[P, T]) -> Callable[P, T]:
    """A step the process could not carry out rolled back whole; record it as an incident on
    the case (after the rollback) so that a decision maker sees the broken case."""

    @wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return service(*args, **kwargs)
        except ServiceError as exc:
            # Inside a caller's own transaction (an Idempotency-Key's, which commits the work
            # and its stored response together) the incident would roll back with the step:
            # that caller records it after its rollback instead.
            if exc.case_id is not None and not _in_manual_transaction():
                incident_record(exc.case_id, exc.message)
            raise

    return wrapper


def _in_manual_transaction() -> bool:
    """A transaction opened by hand (autocommit off, no atomic block): it will roll back."""
    connection = transaction.get_connection()
    return not connection.in_atomic_block and not connection.get_autocommit()


def incident_record(case_id: int, message: str) -> None:
    """Open an incident on the case for a failed step, or count another attempt on it."""
    note = with_reference(message, request_reference())[:500]
    with transaction.atomic(durable=True):
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            return
        open_incident = (Incident.objects.select_for_update()
                         .filter(case=case, kind=KIND, resolved_at__isnull=True).first())
        if open_incident is not None:
            open_incident.attempts += 1
            open_incident.message = note
            open_incident.save(update_fields=["attempts", "message"])
            return
        Incident.objects.create(case=case, force_id=case.force_id, kind=KIND, attempts=1,
                                message=note, opened_at=timezone.now())


def incident_retry(*, user: AbstractBaseUser, incident_id: int) -> Case:
    """A decision maker, once the cause is fixed, clears the failures so the sweep retries."""
    membership = require(user, Action.RETRY_INCIDENTS)
    incident = Incident.objects.filter(pk=incident_id, force=membership.force).first()
    if incident is None:
        raise ServiceError("not_found", "No such incident in your force.")
    with case_step(user=user, lock=lambda: lock_case(pk=incident.case_id)) as step:
        locked = step.case
        if locked.erased_at is not None or locked.status == CaseStatus.CLOSED:
            state = "erased" if locked.erased_at is not None else "closed"
            raise ServiceError("conflict", f"{locked.reference} is {state}: there is nothing "
                                           "to retry.")
        Incident.objects.filter(case=locked, resolved_at__isnull=True).update(
            resolved_at=step.now, resolved_by=user)
        step.event(EventKind.INCIDENT, detail="Retried after an incident")
        locked.timer_failures = 0
        locked.status = CaseStatus.OPEN
        locked.next_due_at = (CaseTimer.objects.filter(case=locked).order_by("due_at")
                              .values_list("due_at", flat=True).first())
        locked.save(update_fields=["timer_failures", "status", "next_due_at"])
        step.access(Operation.ALTER, "case retried after an incident",
                    fields=["status", "timer_failures"])
    return locked
