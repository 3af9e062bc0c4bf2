"""Token authentication for integrations: `Authorization: Bearer dw_<prefix>_<secret>`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from webapp.api.models import ApiToken

PREFIX_BYTES = 6
LAST_USED_RESOLUTION = timedelta(minutes=1)
TOKEN_PARTS = 2  # "Bearer <token>"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Issue a token; the returned text is the only time the secret exists in clear."""
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=prefix,
                                    key_hash=_digest(secret), created_at=timezone.now())
    return token, f"dw_{prefix}_{secret}"


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != TOKEN_PARTS or not header[1].startswith("dw_") \
                or header[1].count("_") < TOKEN_PARTS:
            raise exceptions.AuthenticationFailed("Malformed token.")
        _, prefix, secret = header[1].split("_", 2)
        token = (ApiToken.objects.select_related("user", "user__membership__force")
                 .filter(prefix=prefix, revoked_at=None).first())
        if token is None or not hmac.compare_digest(token.key_hash, _digest(secret)):
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # not a write per call
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[misc]
    """Documents the bearer token in the OpenAPI schema."""

    target_class = "webapp.api.auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "dw_<prefix>_<secret>"}
