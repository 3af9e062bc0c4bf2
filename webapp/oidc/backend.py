"""The authentication backend for single sign-on: mozilla-django-oidc's code flow, with the
checks that library leaves to its user. The ID token must be RS256-signed by a key the provider
publishes, be for this client (``aud``), unexpired, and come from an issuer a force has named
as its own; the person is then found by the provider's stable id within that force, and their
roles and team come from the token's groups (``webapp.forces.single_sign_on``).

The claims are read from the verified ID token, not the userinfo endpoint: Entra ID's userinfo
answer has neither ``oid`` nor ``groups``.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from webapp.forces.single_sign_on import SsoIdentity, force_for_issuer, member_sign_in
from webapp.oidc import provider, refusal
from webapp.oidc.refusal import SignInRefused

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 60  # clock difference allowed between the provider and this server
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
OVERAGE = "_claim_names"  # Entra ID: too many groups for the token; they are left out


class ForceSsoBackend(OIDCAuthenticationBackend):
    """Django builds every backend for each local sign-in too, so nothing is read or fetched
    until a provider's callback actually arrives."""

    get_settings = staticmethod(provider.setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or "nonce" not in kwargs or not provider.enabled():
            return None  # a local sign-in, or single sign-on is off
        try:
            self._configure()
            return super().authenticate(request, **kwargs)
        except SignInRefused as refused:
            _refusal_note(request, refused.reason, refused.user)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            _refusal_note(request, refusal.CODE_REFUSED if 400 <= status < 500  # noqa: PLR2004
                          else refusal.UNREACHABLE)
        except (requests.RequestException, ValueError):
            _refusal_note(request, refusal.UNREACHABLE)
        except ImproperlyConfigured as exc:
            log.error("sso is on but not set up: %s", exc)  # names a setting, nothing secret
            _refusal_note(request, refusal.UNREACHABLE)
        except (SuspiciousOperation, jwt.PyJWTError, KeyError) as exc:
            log.info("sso token refused: %s", type(exc).__name__)
            _refusal_note(request, refusal.BAD_TOKEN)
        return None

    def get_user(self, user_id: Any) -> Any:
        """As Django's own backend: an inactive user's session ends at their next request."""
        return ModelBackend.get_user(self, user_id)

    def _configure(self) -> None:
        for name in ("OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT", "OIDC_RP_CLIENT_ID",
                     "OIDC_RP_CLIENT_SECRET", "OIDC_RP_SIGN_ALGO"):
            setattr(self, name, provider.setting(name))
        self.OIDC_RP_IDP_SIGN_KEY = None

    def _verify_jws(self, payload: Any, key: Any) -> dict[str, Any]:
        alg = jwt.get_unverified_header(payload).get("alg")
        if alg != provider.SIGN_ALGO:
            raise SuspiciousOperation("unexpected signing algorithm")
        claims = jwt.decode(payload, key, algorithms=[provider.SIGN_ALGO],
                            audience=self.OIDC_RP_CLIENT_ID, leeway=LEEWAY_SECONDS,
                            options={"require": REQUIRED_CLAIMS})
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and (
                claims.get("azp") != self.OIDC_RP_CLIENT_ID):
            raise SuspiciousOperation("token issued to another party")
        return claims

    def get_userinfo(self, access_token: Any, id_token: Any, payload: Any) -> Any:
        return payload  # the verified ID token's claims (see the module docstring)

    def get_or_create_user(self, access_token: Any, id_token: Any, payload: Any) -> Any:
        force = force_for_issuer(str(payload.get("iss", "")))
        if force is None:
            raise SignInRefused(refusal.UNKNOWN_ISSUER)
        identity = _identity(payload)
        outcome = member_sign_in(force=force, identity=identity)
        if outcome.user is None:
            existing = force.members.filter(sso_subject=identity.subject).first()
            raise SignInRefused(refusal.NO_ROLE, user=existing.user if existing else None)
        return outcome.user


def _identity(claims: dict[str, Any]) -> SsoIdentity:
    subject = claims.get(provider.setting("OIDC_SUBJECT_CLAIM"))
    if not isinstance(subject, str) or not subject:
        raise SignInRefused(refusal.NO_SUBJECT)
    groups = claims.get(provider.setting("OIDC_GROUPS_CLAIM"))
    if OVERAGE in claims:
        # Assign only the groups that matter to the app registration (docs/sso.md) to avoid it.
        log.warning("sso token left out the groups (too many); the person gets no role")
    if not isinstance(groups, list):
        groups = []
    return SsoIdentity(
        subject=subject[:100], groups=tuple(g for g in groups if isinstance(g, str)),
        username=_text(claims, "preferred_username"), email=_text(claims, "email"),
        given_name=_text(claims, "given_name") or _text(claims, "name"),
        family_name=_text(claims, "family_name"))


def _text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def _refusal_note(request: HttpRequest, reason: str, user: Any = None) -> None:
    """For the callback view, which records and answers the refusal."""
    request.sso_refusal = reason  # type: ignore[attr-defined]
    request.sso_refusal_user = user  # type: ignore[attr-defined]
