"""Why a single sign-on was refused, as a short word for the log and the page to show."""

from __future__ import annotations

from typing import Any

# Reason words (logged, never shown): what went wrong, without tokens or personal data.
NO_ROLE = "no_role"
UNKNOWN_ISSUER = "unknown_issuer"
NO_SUBJECT = "no_subject"
BAD_TOKEN = "bad_token"  # noqa: S105 (a reason word, not a secret)
CODE_REFUSED = "code_refused"
UNREACHABLE = "provider_unreachable"
PROVIDER_ERROR = "provider_error"
STATE = "state_mismatch"
INACTIVE = "inactive"
FAILED = "failed"


class SignInRefused(Exception):  # noqa: N818 (a refusal, not a program error)
    """Raised inside the backend; the callback view turns it into a page."""

    def __init__(self, reason: str, *, user: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user
