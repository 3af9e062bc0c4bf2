"""The one business-error type services raise, mapped to HTTP in one place."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence

from django.db import InterfaceError, OperationalError

from engine import EngineError
from webapp.audit.context import current as current_request

log = logging.getLogger(__name__)

# The database went away (restart, failover, network): the request may simply be retried.
DATABASE_LOST = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5

HTTP_STATUS = {
    "invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409,
    "process_failed": 422, "failed": 500,
}

# Engine refusals, as the web layer reports them. Diagram code that fails or leaves what cannot
# be stored is "process_failed": the request was understood, the process could not carry it out.
_ENGINE_CODES = {
    "invalid_data": "invalid", "wrong_lane": "forbidden", "not_ready": "conflict",
    "not_found": "not_found", "not_waiting": "conflict", "wrong_definition": "failed",
    "script_error": "process_failed", "stalled": "process_failed",
    "unstorable_data": "process_failed", "poisoned": "failed", "corrupt_state": "failed",
}
# Codes whose engine message is for the log only: it may quote Python errors, task-data
# variable names or values. People see what happened, where, and a reference instead.
FAILURES = frozenset({"process_failed", "failed"})


class ServiceError(Exception):
    """A refusal a person can act on: ``code`` is one of HTTP_STATUS's keys.

    ``log_detail`` is what a person must not see (it is logged with the request id);
    ``case_id`` names the case a failed step was refused on (an incident is opened on it).
    """

    def __init__(self, code: str, message: str, *,
                 field_errors: Mapping[str, Sequence[str]] | None = None,
                 log_detail: str = "", case_id: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field_errors = dict(field_errors or {})
        self.log_detail = log_detail
        self.case_id = case_id

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    @classmethod
    def from_engine(cls, exc: EngineError) -> ServiceError:
        code = _ENGINE_CODES.get(exc.code, "failed")
        if code not in FAILURES:
            return cls(code, exc.message, field_errors=exc.field_errors)
        return cls(code, failure_summary(exc), log_detail=f"{exc.code}: {exc.message}")


def failure_summary(exc: EngineError) -> str:
    """What a person is told when the process fails: where, and that nothing was saved."""
    where = exc.details.get("bpmn_id") if isinstance(exc.details.get("bpmn_id"), str) else ""
    at = f" at '{where}'" if where else ""
    stopped = exc.details.get("stopped")
    if isinstance(stopped, str) and stopped:
        return (f"The process could not carry out this step{at}: its diagram code was stopped "
                f"because {stopped}; nothing was saved.")
    if exc.code in ("unstorable_data", "script_error", "stalled"):
        return (f"The process could not carry out this step{at} (its diagram code failed); "
                "nothing was saved.")
    return f"The case could not be processed{at}; nothing was saved."


def request_reference() -> str:
    """The current request's id (the log's correlation id), or a fresh one outside requests."""
    info = current_request.get()
    return info.request_id if info is not None and info.request_id else uuid.uuid4().hex


def with_reference(message: str, reference: str) -> str:
    return f"{message} Reference: {reference}."


def log_failure(exc: ServiceError, reference: str) -> None:
    """Log what a person was not shown, under the reference they were given."""
    log.error("step failed: reference=%s code=%s case=%s detail=%s", reference, exc.code,
              exc.case_id, exc.log_detail or exc.message)
