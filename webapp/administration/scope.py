"""Who administers which force: a force administrator on a page, a named operator or "system"
on the command line; and the one way an administrative change reaches the access log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.errors import ServiceError
from webapp.forces.models import Force
from webapp.permissions import Action, allows, is_national_admin, require


@dataclass(frozen=True)
class Operator:
    """Who makes a change (None: the system, from the command line) and the force it is in."""

    actor: Any
    force: Force

    @property
    def name(self) -> str:
        return self.actor.get_username() if self.actor is not None else "system"


def administrator(user: Any) -> Operator:
    """The force a user administers, or a 403 in plain words."""
    membership = require(user, Action.ADMINISTER)
    return Operator(user, membership.force)


def command_operator(force_code: str, by: str = "") -> Operator:
    """The operator of a management command: ``by`` names a force administrator of the force
    (or a national administrator); without it the change is the system's."""
    force = Force.objects.filter(code__iexact=force_code.strip()).first()
    if force is None:
        raise ServiceError("not_found", f"There is no force with the code '{force_code}'.")
    if not by:
        return Operator(None, force)
    user = get_user_model().objects.filter(username=by).select_related("membership").first()
    if user is None or not user.is_active:
        raise ServiceError("not_found", f"There is no active user '{by}'.")
    membership = getattr(user, "membership", None)
    in_force = membership is not None and membership.force_id == force.pk
    if not (is_national_admin(user) or (in_force and allows(membership, Action.ADMINISTER))):
        raise ServiceError("forbidden", f"{by} is not a force administrator of {force.name}.")
    return Operator(user, force)


def national_operator(by: str = "") -> Any:
    """The national administrator a command names, or None (the system)."""
    if not by:
        return None
    user = get_user_model().objects.filter(username=by).first()
    if user is None or not is_national_admin(user):
        raise ServiceError("forbidden", f"{by} is not a national administrator.")
    return user


def logged(operator: Operator, *, object_type: str, object_id: str | int,
           fields: Sequence[str], reason: str, operation: str = Operation.ALTER) -> None:
    """One access-log entry for an administrative change (in the caller's transaction)."""
    record(actor=operator.actor, operation=operation, object_type=object_type,
           object_id=object_id, fields=list(fields), justification=reason,
           force_code=operator.force.code)


def reason_given(reason: str, *, field: str = "reason") -> str:
    """The reason for a serious change, or a refusal that says to give one."""
    text = (reason or "").strip()
    if not text:
        raise ServiceError("invalid", "Say why you are making this change",
                           field_errors={field: ["Say why you are making this change"]})
    return text[:500]


def required_text(value: str, field: str, message: str, *, max_length: int = 100) -> str:
    text = (value or "").strip()
    if not text:
        raise ServiceError("invalid", message, field_errors={field: [message]})
    if len(text) > max_length:
        too_long = f"{message.removeprefix('Enter ')[:1].upper()}" \
                   f"{message.removeprefix('Enter ')[1:]} must be {max_length} characters or fewer"
        raise ServiceError("invalid", too_long, field_errors={field: [too_long]})
    return text
