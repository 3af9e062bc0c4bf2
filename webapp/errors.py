"""The one business-error type services raise, mapped to HTTP in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine import EngineError

HTTP_STATUS = {
    "invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409, "failed": 500,
}

# Engine refusals, as the web layer reports them.
_ENGINE_CODES = {
    "invalid_data": "invalid", "wrong_lane": "forbidden", "not_ready": "conflict",
    "not_found": "not_found", "not_waiting": "conflict", "wrong_definition": "failed",
    "script_error": "failed", "stalled": "failed", "poisoned": "failed",
}


class ServiceError(Exception):
    """A refusal a person can act on: ``code`` is one of HTTP_STATUS's keys."""

    def __init__(self, code: str, message: str, *,
                 field_errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field_errors = dict(field_errors or {})

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    @classmethod
    def from_engine(cls, exc: EngineError) -> ServiceError:
        return cls(_ENGINE_CODES.get(exc.code, "failed"), exc.message,
                   field_errors=exc.field_errors)
