"""The schemes a force runs, as its administrator sets them: whether each takes new cases,
its time-limit profile and which team each lane's new tasks go to; and the force's own
time-limit profiles. Which version a force runs is changed only by the studio's four-eyes
deployment (one policy lead asks, another approves)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.text import slugify

from engine.scheme import Scheme
from webapp.audit.models import Operation
from webapp.errors import ServiceError
from webapp.forces.models import SchemeDeployment, Team, TimeLimitProfile
from webapp.processes.deployments import checked_parameters, start_parameters
from webapp.processes.registry import scheme_for

from .scope import Operator, logged, reason_given, required_text


def profiles_for(force_id: int, scheme: str = "") -> QuerySet[TimeLimitProfile]:
    """The profiles a force may choose: the national ones and its own (for ``scheme``)."""
    found = TimeLimitProfile.objects.filter(Q(force=None) | Q(force_id=force_id))
    if scheme:
        found = found.filter(scheme__in=("", scheme))
    return found.order_by("scheme", "name")


def deployment_of(operator: Operator, scheme: str, *, lock: bool = False) -> SchemeDeployment:
    rows = SchemeDeployment.objects.select_for_update() if lock else SchemeDeployment.objects
    found = rows.filter(force=operator.force, scheme=scheme).first()
    if found is None:
        raise ServiceError("not_found", f"{operator.force.name} does not run that scheme.")
    return found


def duration_parameters(declared: Scheme) -> dict[str, str]:
    """The scheme's time-limit parameters: name -> label."""
    return {name: p.label for name, p in declared.parameters.items() if p.type == "duration"}


def _scheme_of(operator: Operator, scheme: str) -> Scheme:
    return scheme_for(deployment_of(operator, scheme).active_version_id)


def profile_save(*, operator: Operator, scheme: str, name: str,
                 limits: Mapping[str, str | None], reason: str,
                 profile_id: int | None = None) -> TimeLimitProfile:
    """Create or change one of the force's own profiles for a scheme it runs. A change applies
    to the open cases of every deployment using the profile at their next step."""
    name = required_text(name, "name", "Enter a name for the time limits")
    declared = _scheme_of(operator, scheme)
    durations = duration_parameters(declared)
    values = {k: v for k, v in limits.items() if v}
    unknown = sorted(set(values) - set(durations))
    if unknown:
        raise ServiceError("invalid", f"{declared.title} has no time limit called "
                                      f"{unknown[0]}.")
    checked_parameters(declared, values, f"The time limits '{name}'")
    reason = reason_given(reason) if profile_id is not None else (reason or "").strip()
    with transaction.atomic():
        if profile_id is None:
            code = f"{operator.force.code.lower()}-{slugify(name)}"[:40]
            if TimeLimitProfile.objects.filter(scheme=scheme, code=code).exists():
                message = f"Your force already has time limits called {name}"
                raise ServiceError("conflict", message, field_errors={"name": [message]})
            profile = TimeLimitProfile.objects.create(force=operator.force, scheme=scheme,
                                                      code=code, name=name, limits=values)
            logged(operator, object_type="time-limit profile", object_id=code,
                   fields=["name", *sorted(values)], reason=reason or "time limits added",
                   operation=Operation.COLLECT)
            return profile
        profile = (TimeLimitProfile.objects.select_for_update()
                   .filter(pk=profile_id, force=operator.force).first())
        if profile is None:
            raise ServiceError("not_found", "Your force has no such time limits (national "
                                            "ones cannot be changed here).")
        changed = sorted({k for k in {*values, *profile.limits}
                          if values.get(k) != profile.limits.get(k)})
        changed += ["name"] if profile.name != name else []
        profile.name, profile.limits = name, values
        profile.save(update_fields=["name", "limits"])
        logged(operator, object_type="time-limit profile", object_id=profile.code,
               fields=changed, reason=reason)
    return profile


def scheme_settings(*, operator: Operator, scheme: str, profile_id: int | str | None,
                    lane_teams: Mapping[str, int | str | None], reason: str
                    ) -> SchemeDeployment:
    """Choose the time-limit profile a scheme runs under and the team each of its lanes'
    new tasks go to (no team: the task is offered to everyone in the lane's role)."""
    reason = reason_given(reason)
    with transaction.atomic():
        deployment = deployment_of(operator, scheme, lock=True)
        declared = scheme_for(deployment.active_version_id)
        profile = None
        if profile_id not in (None, ""):
            profile = profiles_for(operator.force.pk, scheme).filter(
                pk=int(profile_id) if str(profile_id).isdecimal() else 0).first()
            if profile is None:
                raise ServiceError("invalid", "Select time limits for this scheme",
                                   field_errors={"profile": ["Select time limits for this "
                                                             "scheme"]})
        teams = dict(Team.objects.filter(force=operator.force).values_list("pk", "name"))
        routes: dict[str, str] = {}
        for lane, team_id in lane_teams.items():
            if lane not in declared.lanes:
                raise ServiceError("invalid", f"{declared.title} has no {lane} tasks.")
            if team_id in (None, ""):
                continue
            if not str(team_id).isdecimal() or int(team_id) not in teams:
                raise ServiceError("invalid", "Select one of your force's teams")
            routes[lane] = teams[int(team_id)]
        changed = [f for f, old, new in (
            ("time_limit_profile", deployment.time_limit_profile_id,
             profile.pk if profile else None),
            ("lane_teams", deployment.lane_teams or {}, routes)) if old != new]
        deployment.time_limit_profile, deployment.lane_teams = profile, routes
        start_parameters(deployment, declared)  # the profile's limits fit this scheme
        deployment.save(update_fields=["time_limit_profile", "lane_teams"])
        logged(operator, object_type="scheme deployment", object_id=scheme, fields=changed,
               reason=reason)
    return deployment


def scheme_running(*, operator: Operator, scheme: str, running: bool,
                   reason: str) -> SchemeDeployment:
    """Start or stop taking new cases of a scheme; cases already open go on either way."""
    reason = reason_given(reason)
    with transaction.atomic():
        deployment = deployment_of(operator, scheme, lock=True)
        if deployment.running == running:
            state = "already takes" if running else "has already stopped taking"
            raise ServiceError("conflict", f"{operator.force.name} {state} new cases of this "
                                           "scheme.")
        deployment.running = running
        deployment.save(update_fields=["running"])
        logged(operator, object_type="scheme deployment", object_id=scheme,
               fields=["running"], reason=reason)
    return deployment


def scheme_summary(deployment: SchemeDeployment) -> dict[str, Any]:
    """What the administration pages show of a deployment, in words."""
    declared = scheme_for(deployment.active_version_id)
    return {"deployment": deployment, "scheme": declared,
            "title": declared.short_title or declared.title or deployment.scheme,
            "lanes": [(lane, (deployment.lane_teams or {}).get(lane, ""))
                      for lane in declared.lanes],
            "choices": _choices_in_words(declared, deployment.parameters or {})}


def _choices_in_words(declared: Scheme, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The force's settings of the scheme's choice parameters (set with its deployment), as
    (label, chosen option's label); time limits are shown with their profile."""
    shown = []
    for name, parameter in declared.parameters.items():
        if parameter.type == "duration" or not parameter.options:
            continue
        value = values.get(name, parameter.default)
        chosen = value if isinstance(value, list) else [value]
        words = ", ".join(parameter.option_label(v) for v in chosen) or "None"
        shown.append((parameter.label, words))
    return shown
