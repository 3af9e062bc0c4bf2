"""The OpenID provider as this service sees it: single sign-on is on when OIDC_RP_CLIENT_ID is
set, and the endpoints come from OIDC_OP_ISSUER's discovery document (fetched when first needed
and kept for DISCOVERY_TTL) unless a setting names them.

mozilla-django-oidc reads every option through ``get_settings``; ``setting`` answers it here,
so settings.py carries only what a deployment sets, and the choices that keep sign-in safe
(RS256 only, nonce on, no unsigned tokens) cannot be switched off by a setting.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SIGN_ALGO = "RS256"
DISCOVERY_TTL = 3600.0
TIMEOUT = 10.0
FIXED = {"OIDC_RP_SIGN_ALGO": SIGN_ALGO, "OIDC_USE_NONCE": True,
         "OIDC_ALLOW_UNSECURED_JWT": False, "OIDC_RP_IDP_SIGN_KEY": None,
         "OIDC_STORE_ACCESS_TOKEN": False, "OIDC_STORE_ID_TOKEN": False}
DEFAULTS: dict[str, Any] = {
    "OIDC_RP_SCOPES": "openid profile email",
    "OIDC_USE_PKCE": True,
    "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc:callback",
    "OIDC_TIMEOUT": TIMEOUT,
    "OIDC_VERIFY_KID": True,
    "OIDC_SUBJECT_CLAIM": "oid",  # Entra ID's object id: stable, unlike sub (pairwise per app)
    "OIDC_GROUPS_CLAIM": "groups",
    "LOGIN_REDIRECT_URL_FAILURE": "login",
}
FROM_DISCOVERY = {"OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
                  "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
                  "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
                  "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint"}

_lock = threading.Lock()
_documents: dict[str, tuple[float, dict[str, Any]]] = {}


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def setting(name: str, *default: Any) -> Any:
    """One option for mozilla-django-oidc (see the module docstring)."""
    if name in FIXED:
        return FIXED[name]
    value = getattr(settings, name, None)
    if value not in (None, ""):
        return value
    if name in FROM_DISCOVERY:
        return discovered().get(FROM_DISCOVERY[name], "")
    if name in DEFAULTS:
        return DEFAULTS[name]
    if default:
        return default[0]
    raise ImproperlyConfigured(f"Single sign-on needs the setting {name}.")


def discovered() -> dict[str, Any]:
    """The issuer's ``/.well-known/openid-configuration`` (raises ``requests`` errors)."""
    issuer = str(getattr(settings, "OIDC_OP_ISSUER", "")).rstrip("/")
    if not issuer:
        raise ImproperlyConfigured("Single sign-on needs OIDC_OP_ISSUER (or every endpoint).")
    now = time.monotonic()
    with _lock:
        cached = _documents.get(issuer)
        if cached is not None and now - cached[0] < DISCOVERY_TTL:
            return cached[1]
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise requests.RequestException("the discovery document is not a JSON object")
    with _lock:
        _documents[issuer] = (now, document)
    return document


def discovery_forget() -> None:
    """Drop the cached documents (a test that starts another provider; a key roll-over is
    picked up by the JWKS fetch at each sign-in and needs no call)."""
    with _lock:
        _documents.clear()
