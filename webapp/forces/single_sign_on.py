"""A force's people signing in through its identity provider: which force an issuer belongs to,
what the provider's groups mean here (roles and team, per force), and the user and membership
made or brought up to date at each sign-in.

The identity provider is the source of truth for roles and team: each sign-in rewrites them from
the groups in the ID token. A person is found by the provider's stable id for them (Entra ID:
``oid``) within the force, never by username or email, which can be reused or changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from webapp.forces.models import Force, Membership, Role, Team

log = logging.getLogger(__name__)

USERNAME_MAX = 150


@dataclass(frozen=True)
class SsoIdentity:
    """What a verified ID token says about the person, after the issuer was checked."""

    subject: str
    groups: tuple[str, ...]
    username: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""


@dataclass(frozen=True)
class SsoSignIn:
    """The outcome: the user to sign in, or None when the groups give no role here."""

    user: Any
    roles: tuple[str, ...]
    team: Team | None


def force_for_issuer(issuer: str) -> Force | None:
    """The force whose single sign-on this issuer is (an exact match, as Entra ID puts the
    tenant into the issuer)."""
    if not issuer:
        return None
    return Force.objects.filter(sso_issuer=issuer).first()


def mapped_roles(force: Force, groups: tuple[str, ...]) -> tuple[str, ...]:
    """The roles the force gives these groups, in the order of ``Role``; an unknown role name in
    the mapping is skipped (and logged) rather than granted."""
    granted: set[str] = set()
    for group in groups:
        value = (force.sso_group_roles or {}).get(group)
        for role in [value] if isinstance(value, str) else (value or []):
            if role in Role.values:
                granted.add(role)
            else:
                log.warning("sso mapping of force %s names an unknown role", force.code)
    return tuple(r for r in Role.values if r in granted)


def mapped_team(force: Force, groups: tuple[str, ...]) -> Team | None:
    """The force's team for the first mapped group (in the mapping's order), if it exists."""
    mapping = force.sso_group_teams or {}
    for group, name in mapping.items():
        if group in groups:
            team = Team.objects.filter(force=force, name=name).first()
            if team is None:
                log.warning("sso mapping of force %s names a team it does not have", force.code)
            return team
    return None


def member_sign_in(*, force: Force, identity: SsoIdentity) -> SsoSignIn:
    """Make or update the user and their membership of ``force`` from ``identity``. A person
    whose groups map to no role is not created; one who had roles loses them (and so loses
    access) until the provider's groups give them one again."""
    roles = mapped_roles(force, identity.groups)
    team = mapped_team(force, identity.groups)
    with transaction.atomic(durable=True):
        membership = (Membership.objects.select_for_update().select_related("user")
                      .filter(force=force, sso_subject=identity.subject).first())
        if membership is None and not roles:
            return SsoSignIn(user=None, roles=(), team=None)
        if membership is None:
            user = _user_create(force, identity)
            membership = Membership(user=user, force=force, sso_subject=identity.subject)
        membership.roles = list(roles)
        membership.team = team
        membership.save()
        _profile_update(membership.user, identity)
    return SsoSignIn(user=membership.user if roles else None, roles=roles, team=team)


def _user_create(force: Force, identity: SsoIdentity) -> Any:
    """A new user with no usable password: they can only sign in through their force."""
    users = get_user_model()
    base = (identity.username or identity.email
            or f"{force.code.lower()}-{identity.subject}")[:USERNAME_MAX - 4]
    username, n = base, 1
    while users.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = users(username=username)
    user.set_unusable_password()
    user.save()
    return user


def _profile_update(user: Any, identity: SsoIdentity) -> None:
    wanted = {"first_name": identity.given_name[:150], "last_name": identity.family_name[:150],
              "email": identity.email[:254]}
    changed = [k for k, v in wanted.items() if getattr(user, k) != v]
    for key in changed:
        setattr(user, key, wanted[key])
    if changed:
        user.save(update_fields=changed)
