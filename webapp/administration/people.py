"""A force's people: accounts, their roles, team and collar number; deactivation, which ends
their sessions and API tokens at once; a temporary password for a local account."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from webapp.api.models import ApiToken
from webapp.audit.models import Operation
from webapp.errors import ServiceError
from webapp.forces.models import Membership, Role, Team
from webapp.permissions import Action, allows, grants

from .scope import Operator, logged, reason_given, required_text

USERNAME = re.compile(r"[A-Za-z0-9.@+_-]{2,150}")
TEMPORARY_PASSWORD_BYTES = 12


@dataclass(frozen=True)
class NewUser:
    """What an administrator enters for a new account."""

    username: str
    first_name: str
    last_name: str
    email: str = ""
    collar_number: str = ""
    team_id: int | None = None
    roles: Sequence[str] = ()


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError("invalid", message, field_errors={field: [message]})


def _roles(roles: Sequence[str]) -> list[str]:
    chosen = [str(r) for r in Role.values if r in set(roles)]
    if not chosen or len(chosen) != len(set(roles)):
        raise _invalid("roles", "Select at least one role")
    return chosen


def _team(operator: Operator, team_id: int | str | None) -> Team | None:
    if team_id in (None, ""):
        return None
    team = Team.objects.filter(pk=int(team_id), force=operator.force).first() \
        if str(team_id).isdecimal() else None
    if team is None:
        raise _invalid("team", "Select one of your force's teams")
    return team


def _member(operator: Operator, user_id: int) -> Membership:
    found = (Membership.objects.select_for_update().select_related("user")
             .filter(user_id=user_id, force=operator.force).first())
    if found is None:
        raise ServiceError("not_found", "No such person in your force.")
    return found


def temporary_password() -> str:
    return secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)


def user_add(*, operator: Operator, new: NewUser, reason: str = "") -> tuple[Any, str]:
    """A new account in the operator's force with its roles and team. Returns the user and a
    temporary password, shown once (a force with single sign-on need not hand it out)."""
    username = (new.username or "").strip()
    if not USERNAME.fullmatch(username):
        raise _invalid("username", "Enter a username of letters, numbers and . @ + - _ only")
    first = required_text(new.first_name, "first_name", "Enter the person's first name",
                          max_length=150)
    last = required_text(new.last_name, "last_name", "Enter the person's last name",
                         max_length=150)
    email = (new.email or "").strip()[:254]
    if email and "@" not in email:
        raise _invalid("email", "Enter an email address in the right format, like "
                                "name@police.uk")
    roles = _roles(new.roles)
    team = _team(operator, new.team_id)
    users = get_user_model().objects
    if users.filter(username__iexact=username).exists():
        raise ServiceError("conflict", f"The username {username} is already taken",
                           field_errors={"username": [f"The username {username} is already "
                                                      "taken"]})
    password = temporary_password()
    with transaction.atomic():
        user = users.create_user(username=username, password=password, email=email,
                                 first_name=first, last_name=last)
        Membership.objects.create(user=user, force=operator.force, team=team, roles=roles,
                                  collar_number=(new.collar_number or "").strip()[:12])
        logged(operator, object_type="user", object_id=username,
               fields=["username", "first_name", "last_name", "email", "collar_number",
                       "team", "roles"],
               reason=(reason or "").strip() or "account added", operation=Operation.COLLECT)
    return user, password


def _keeps_an_administrator(operator: Operator, membership: Membership, *,
                            roles: Sequence[str], active: bool) -> None:
    """Refuse a change that would leave the force without an active force administrator,
    or take an administrator's own administration away from them."""
    losing = allows(membership, Action.ADMINISTER) and membership.user.is_active and (
        not grants(roles, Action.ADMINISTER) or not active)
    if not losing:
        return
    if operator.actor is not None and membership.user_id == operator.actor.pk:
        raise ServiceError("conflict", "You cannot take away your own administration: ask "
                                       "another force administrator.")
    # roles are a JSON list: read in Python (SQLite has no JSON containment lookup)
    left = [m for m in Membership.objects.filter(force=operator.force, user__is_active=True)
            .exclude(pk=membership.pk) if allows(m, Action.ADMINISTER)]
    if not left:
        raise ServiceError("conflict", f"{operator.force.name} must keep at least one force "
                                       "administrator.")


def user_change(*, operator: Operator, user_id: int, roles: Sequence[str],
                team_id: int | str | None, collar_number: str, reason: str) -> Membership:
    """Change a person's roles, team and collar number."""
    reason = reason_given(reason)
    chosen = _roles(roles)
    with transaction.atomic():
        membership = _member(operator, user_id)
        team = _team(operator, team_id)
        _keeps_an_administrator(operator, membership, roles=chosen,
                                active=membership.user.is_active)
        collar = (collar_number or "").strip()[:12]
        changed = [name for name, old, new in (
            ("roles", membership.roles, chosen), ("team", membership.team_id,
                                                  team.pk if team else None),
            ("collar_number", membership.collar_number, collar)) if old != new]
        membership.roles, membership.team, membership.collar_number = chosen, team, collar
        membership.save(update_fields=["roles", "team", "collar_number"])
        logged(operator, object_type="user", object_id=membership.user.get_username(),
               fields=changed, reason=reason)
    return membership


def sessions_end(user: Any) -> int:
    """Delete every stored session of the user, through the configured session store (so a
    cached copy goes too). The session table is not indexed by user: each live session is
    read, which a force's few thousand sessions allow. Whatever the store, an inactive
    account's session is refused anyway (Django's model backend loads no inactive user)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    mine = [s.pk for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
            if str(s.get_decoded().get("_auth_user_id", "")) == str(user.pk)]
    for key in mine:
        store(session_key=key).delete()
    return len(mine)


def user_deactivate(*, operator: Operator, user_id: int, reason: str) -> tuple[int, int]:
    """Deactivate an account: it can no longer sign in, its sessions end and its API tokens
    are revoked, at once. Returns (sessions ended, tokens revoked)."""
    reason = reason_given(reason)
    with transaction.atomic():
        membership = _member(operator, user_id)
        user = membership.user
        if not user.is_active:
            raise ServiceError("conflict", f"{user.get_full_name() or user.get_username()}'s "
                                           "account is already deactivated.")
        _keeps_an_administrator(operator, membership, roles=membership.roles, active=False)
        user.is_active = False
        user.save(update_fields=["is_active"])
        ended = sessions_end(user)
        revoked = ApiToken.objects.filter(user=user, revoked_at=None).update(
            revoked_at=timezone.now())
        logged(operator, object_type="user", object_id=user.get_username(),
               fields=["is_active", "sessions", "api_tokens"], reason=reason)
    return ended, revoked


def user_reactivate(*, operator: Operator, user_id: int, reason: str) -> Any:
    """Let a deactivated account sign in again (its revoked tokens stay revoked)."""
    reason = reason_given(reason)
    with transaction.atomic():
        membership = _member(operator, user_id)
        user = membership.user
        if user.is_active:
            raise ServiceError("conflict", "That account is already active.")
        user.is_active = True
        user.save(update_fields=["is_active"])
        logged(operator, object_type="user", object_id=user.get_username(),
               fields=["is_active"], reason=reason)
    return user


def password_reset(*, operator: Operator, user_id: int, reason: str) -> str:
    """A new temporary password for a local account (shown once); its sessions end."""
    reason = reason_given(reason)
    password = temporary_password()
    with transaction.atomic():
        membership = _member(operator, user_id)
        user = membership.user
        user.set_password(password)
        user.save(update_fields=["password"])
        sessions_end(user)
        logged(operator, object_type="user", object_id=user.get_username(),
               fields=["password"], reason=reason)
    return password
