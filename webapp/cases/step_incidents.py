"""A case step the process could not carry out becomes an incident on the case.

The step's own transaction has rolled back whole (nothing half-written); the incident is
written after it, in a transaction of its own, so that a decision maker sees the broken case.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import transaction
from django.utils import timezone

from webapp.cases.models import Case, Incident
from webapp.errors import ServiceError, request_reference, with_reference

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
