"""How the session's user signed in, kept in the session: the hook a second-factor check reads.

Single sign-on (``webapp.oidc``) stores ``"oidc"``: the force's identity provider (Entra ID)
already applied its own multi-factor policy, so the local second factor is not asked for. A
session without the key signed in with a local username and password.
"""

from __future__ import annotations

from typing import Any

SESSION_KEY = "auth_method"
OIDC = "oidc"


def auth_method_set(session: Any, method: str) -> None:
    session[SESSION_KEY] = method


def signed_in_with_sso(session: Any) -> bool:
    """True when the identity provider vouched for this session's sign-in."""
    return session.get(SESSION_KEY) == OIDC
