"""The force itself and its teams (each may name the unit it belongs to); a national
administrator creates a force with its first force administrator."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from django.db import transaction

from webapp.audit.models import Operation
from webapp.cases.models import HumanTask, TaskState
from webapp.errors import ServiceError
from webapp.forces.models import Force, SchemeDeployment, Team
from webapp.permissions import ADMINISTRATOR_ROLES, require_national

from .people import NewUser, user_add
from .scope import Operator, logged, reason_given, required_text

FORCE_CODE = re.compile(r"[A-Z]{2,4}")


def force_create(*, actor: Any, code: str, name: str, first_admin: NewUser,
                 reason: str = "") -> tuple[Force, str]:
    """A new force and its first force administrator (``actor`` a national administrator, or
    None for the system). Returns the force and the administrator's temporary password."""
    if actor is not None:
        require_national(actor)
    code = (code or "").strip().upper()
    if not FORCE_CODE.fullmatch(code):
        message = "Enter the force code as 2 to 4 letters, like HRT"
        raise ServiceError("invalid", message, field_errors={"code": [message]})
    name = required_text(name, "name", "Enter the force's name")
    if Force.objects.filter(code=code).exists():
        message = f"A force with the code {code} already exists"
        raise ServiceError("conflict", message, field_errors={"code": [message]})
    if Force.objects.filter(name__iexact=name).exists():
        message = f"A force called {name} already exists"
        raise ServiceError("conflict", message, field_errors={"name": [message]})
    with transaction.atomic():
        force = Force.objects.create(code=code, name=name)
        operator = Operator(actor, force)
        logged(operator, object_type="force", object_id=code, fields=["code", "name"],
               reason=(reason or "").strip() or "force created", operation=Operation.COLLECT)
        _, password = user_add(operator=operator,
                               new=replace(first_admin, roles=ADMINISTRATOR_ROLES),
                               reason="the force's first administrator")
    return force, password


def force_rename(*, operator: Operator, name: str, reason: str) -> Force:
    """Change the force's name (its code prefixes case references and never changes)."""
    name = required_text(name, "name", "Enter the force's name")
    reason = reason_given(reason)
    with transaction.atomic():
        force = Force.objects.select_for_update().get(pk=operator.force.pk)
        if Force.objects.filter(name__iexact=name).exclude(pk=force.pk).exists():
            message = f"A force called {name} already exists"
            raise ServiceError("conflict", message, field_errors={"name": [message]})
        force.name = name
        force.save(update_fields=["name"])
        logged(operator, object_type="force", object_id=force.code, fields=["name"],
               reason=reason)
    return force


def _team_values(operator: Operator, name: str, unit: str, exclude: int | None = None
                 ) -> tuple[str, str]:
    name = required_text(name, "name", "Enter the team's name")
    unit = (unit or "").strip()[:100]
    clash = Team.objects.filter(force=operator.force, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        message = f"{operator.force.name} already has a team called {name}"
        raise ServiceError("conflict", message, field_errors={"name": [message]})
    return name, unit


def team_add(*, operator: Operator, name: str, unit: str = "", reason: str = "") -> Team:
    """A new team of the operator's force, in a unit if one is named."""
    name, unit = _team_values(operator, name, unit)
    with transaction.atomic():
        team = Team.objects.create(force=operator.force, name=name, unit=unit)
        logged(operator, object_type="team", object_id=team.name, fields=["name", "unit"],
               reason=(reason or "").strip() or "team added", operation=Operation.COLLECT)
    return team


def team_change(*, operator: Operator, team_id: int, name: str, unit: str,
                reason: str) -> Team:
    """Rename a team or move it to another unit; the schemes' lanes routed to it follow it."""
    reason = reason_given(reason)
    with transaction.atomic():
        team = Team.objects.select_for_update().filter(pk=team_id, force=operator.force).first()
        if team is None:
            raise ServiceError("not_found", "No such team in your force.")
        name, unit = _team_values(operator, name, unit, exclude=team.pk)
        changed = [f for f, v in (("name", name), ("unit", unit)) if getattr(team, f) != v]
        if team.name != name:
            for deployment in SchemeDeployment.objects.select_for_update().filter(
                    force=operator.force):
                routes = {lane: (name if routed == team.name else routed)
                          for lane, routed in (deployment.lane_teams or {}).items()}
                if routes != deployment.lane_teams:
                    deployment.lane_teams = routes
                    deployment.save(update_fields=["lane_teams"])
        team.name, team.unit = name, unit
        team.save(update_fields=["name", "unit"])
        logged(operator, object_type="team", object_id=team.name, fields=changed, reason=reason)
    return team


def team_remove(*, operator: Operator, team_id: int, reason: str) -> str:
    """Remove a team nobody is in, no task waits for and no scheme routes tasks to."""
    reason = reason_given(reason)
    with transaction.atomic():
        team = Team.objects.select_for_update().filter(pk=team_id, force=operator.force).first()
        if team is None:
            raise ServiceError("not_found", "No such team in your force.")
        people = team.members.count()
        if people:
            raise ServiceError("conflict", f"{people} person(s) are in {team.name}: move them "
                                           "to another team first.")
        routed = [d.scheme for d in SchemeDeployment.objects.filter(force=operator.force)
                  if team.name in (d.lane_teams or {}).values()]
        if routed:
            raise ServiceError("conflict", f"New tasks of {len(routed)} scheme(s) go to "
                                           f"{team.name}: send them to another team first.")
        waiting = HumanTask.objects.filter(team=team, state=TaskState.READY).count()
        if waiting:
            raise ServiceError("conflict", f"{waiting} task(s) are waiting for {team.name}: "
                                           "ask a decision maker to assign them first.")
        name = team.name
        team.delete()
        logged(operator, object_type="team", object_id=name, fields=["removed"],
               reason=reason)
    return name
