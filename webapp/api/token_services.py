"""Issue, list and revoke a person's API tokens, each change in the access log (from their own
account page or by `manage.py api_token`)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet

from webapp.api.auth import token_create, token_revoke
from webapp.api.models import ApiToken
from webapp.audit.log import record
from webapp.audit.models import Operation

OBJECT_TYPE = "api token"


class TokenNotFound(LookupError):
    """No token of this person's by that id or prefix (or it is already revoked)."""


def tokens_of(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The person's tokens still in force, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at=None).order_by("-created_at", "-pk")


def token_issue(*, user: AbstractBaseUser, name: str, by: AbstractBaseUser | None = None,
                via: str = "account page") -> tuple[ApiToken, str]:
    """Issue a token for ``user`` (``by`` whoever did it, None for a command); returns the
    secret, which exists in clear only in this answer."""
    with transaction.atomic(durable=True):
        token, secret = token_create(user=user, name=name.strip() or "API token")
        _log(user=user, by=by, token=token, what=f"issued ({via})")
    return token, secret


def token_withdraw(*, user: AbstractBaseUser, token_ref: str | int,
                   by: AbstractBaseUser | None = None, via: str = "account page") -> ApiToken:
    """Revoke one of ``user``'s tokens, by id or by prefix; refused calls stop at once."""
    tokens = tokens_of(user)
    ref = str(token_ref)
    token = (tokens.filter(pk=int(ref)).first() if ref.isdecimal() else None) or \
        tokens.filter(prefix=ref).first()
    if token is None:
        raise TokenNotFound(ref)
    with transaction.atomic(durable=True):
        token_revoke(token=token)
        _log(user=user, by=by, token=token, what=f"revoked ({via})")
    return token


def _log(*, user: AbstractBaseUser, by: AbstractBaseUser | None, token: ApiToken,
         what: str) -> None:
    membership = getattr(user, "membership", None)
    record(actor=by, operation=Operation.ALTER, object_type=OBJECT_TYPE,
           object_id=token.prefix, justification=f"{what} for {user.get_username()}",
           force_code=membership.force.code if membership else "")
