"""The one exception type the engine raises, with a machine-readable code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class EngineError(Exception):
    """A refusal or failure a caller can act on.

    ``code`` is stable (the web layer maps it to an HTTP status); ``message`` is for people;
    ``field_errors`` maps a form field path to its messages when form data was invalid.
    """

    def __init__(self, code: str, message: str, *,
                 field_errors: Mapping[str, Sequence[str]] | None = None,
                 details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field_errors = dict(field_errors or {})
        self.details = dict(details or {})

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
