"""The force administrator's pages about schemes: time limits and lane routing of each scheme
the force runs, stopping or starting new cases of one, and the force's own time-limit
profiles (durations entered as a number and a unit)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from webapp.action_pages import ActionView, Field, Page
from webapp.clocks.durations import UNITS, duration_from_parts, duration_words
from webapp.errors import ServiceError
from webapp.forces.models import Role, SchemeDeployment, Team, TimeLimitProfile
from webapp.processes.registry import scheme_for

from .schemes import (
    deployment_of,
    duration_parameters,
    profile_save,
    profiles_for,
    scheme_running,
    scheme_settings,
)
from .scope import Operator
from .views import BACK, REASON, operator_of

UNIT_CHOICES = [(key, label) for key, (label, _) in UNITS.items()]
_SIMPLE = re.compile(r"^P(?:(?P<days>\d+)D|(?P<weeks>\d+)W|(?P<months>\d+)M)$|^PT(?P<hours>\d+)H$")


def _deployment(request: HttpRequest, scheme: str) -> tuple[Operator, SchemeDeployment]:
    operator = operator_of(request)
    try:
        return operator, deployment_of(operator, scheme)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


def _title(deployment: SchemeDeployment) -> str:
    declared = scheme_for(deployment.active_version_id)
    return declared.short_title or declared.title or deployment.scheme


def _lane_field(lane: str) -> str:
    return f"lane_{re.sub(r'[^a-z0-9]+', '_', lane.lower()).strip('_')}"


class SchemeEdit(ActionView):
    def page(self, request: HttpRequest, scheme: str) -> Page:
        operator, deployment = _deployment(request, scheme)
        declared = scheme_for(deployment.active_version_id)
        teams = [("", "No team: anyone with the role"),
                 *((str(t.pk), t.name) for t in
                   Team.objects.filter(force=operator.force).order_by("name"))]
        by_name = {t.name: str(t.pk) for t in Team.objects.filter(force=operator.force)}
        profiles = [("", "The scheme's own defaults"),
                    *((str(p.pk), p.name) for p in profiles_for(operator.force.pk, scheme))]
        lanes = [Field(_lane_field(lane), f"Team for {lane.lower()} tasks",
                       kind="select", choices=teams,
                       hint=f"New {lane.lower()} tasks go to this team's "
                            f"{Role(role).label.lower() if role in Role.values else role}s",
                       initial=by_name.get((deployment.lane_teams or {}).get(lane, ""), ""))
                 for lane, role in declared.lanes.items()]
        return Page(title=f"Time limits and teams for {_title(deployment)}",
                    submit="Save the changes", caption=operator.force.name,
                    back=reverse("administration:index"), back_label=BACK,
                    intro=["Changed time limits apply to open cases at their next step."],
                    fields=[Field("profile", "Time limits", kind="select", choices=profiles,
                                  initial=str(deployment.time_limit_profile_id or "")),
                            *lanes, REASON])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                scheme: str) -> HttpResponse:
        operator, deployment = _deployment(request, scheme)
        declared = scheme_for(deployment.active_version_id)
        scheme_settings(operator=operator, scheme=scheme, profile_id=values.get("profile"),
                        lane_teams={lane: values.get(_lane_field(lane)) or None
                                    for lane in declared.lanes},
                        reason=values.get("reason", ""))
        messages.success(request, f"The changes to {_title(deployment)} are saved.")
        return redirect("administration:index")


class SchemeRunning(ActionView):
    def page(self, request: HttpRequest, scheme: str) -> Page:
        operator, deployment = _deployment(request, scheme)
        title = _title(deployment)
        if deployment.running:
            return Page(title=f"Stop taking new cases of {title}", warning=True,
                        submit="Stop new cases", caption=operator.force.name,
                        back=reverse("administration:index"), back_label=BACK,
                        intro=["No one can start a new case of this scheme until it is "
                               "started again. Cases already open go on as before."],
                        fields=[REASON])
        return Page(title=f"Start taking new cases of {title} again",
                    submit="Start new cases", caption=operator.force.name,
                    back=reverse("administration:index"), back_label=BACK,
                    intro=[f"New cases start on the version the force runs: {title} version "
                           f"{deployment.active_version.number}."],
                    fields=[REASON])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                scheme: str) -> HttpResponse:
        operator, deployment = _deployment(request, scheme)
        scheme_running(operator=operator, scheme=scheme, running=not deployment.running,
                       reason=values.get("reason", ""))
        state = "takes new cases again" if not deployment.running else "takes no new cases"
        messages.success(request, f"{_title(deployment)} {state}.")
        return redirect("administration:index")


def _amount_and_unit(iso: str | None) -> tuple[str, str]:
    match = _SIMPLE.match(iso or "")
    if not match:
        return "", "days"
    unit, amount = next((k, v) for k, v in match.groupdict().items() if v)
    return amount, unit


def _limit_fields(durations: Mapping[str, str], limits: Mapping[str, str]) -> list[Field]:
    fields = []
    for name, label in durations.items():
        amount, unit = _amount_and_unit(limits.get(name))
        now = f"Now {duration_words(limits[name])}. " if limits.get(name) else ""
        fields += [Field(f"{name}_amount", f"{label}: how long", max_length=3, initial=amount,
                         hint=f"{now}A whole number; leave it empty to keep the scheme's "
                              "default"),
                   Field(f"{name}_unit", f"{label}: unit", kind="select",
                         choices=UNIT_CHOICES, initial=unit)]
    return fields


def _limits(durations: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str | None]:
    limits: dict[str, str | None] = {}
    for name, label in durations.items():
        amount = values.get(f"{name}_amount", "").strip()
        if not amount:
            limits[name] = None
            continue
        try:
            limits[name] = duration_from_parts(amount, values.get(f"{name}_unit", ""))
        except ValueError as exc:
            message = f"{label}: {str(exc).replace('extra time', 'time limit')}"
            raise ServiceError("invalid", message,
                               field_errors={f"{name}_amount": [message]}) from exc
    return limits


class ProfileAdd(ActionView):
    def page(self, request: HttpRequest, scheme: str) -> Page:
        operator, deployment = _deployment(request, scheme)
        durations = duration_parameters(scheme_for(deployment.active_version_id))
        return Page(title=f"Add time limits for {_title(deployment)}", submit="Add the limits",
                    caption=operator.force.name, back=reverse("administration:index"),
                    back_label=BACK,
                    intro=["Choose them for the scheme afterwards, under its time limits and "
                           "teams."],
                    fields=[Field("name", "Name", max_length=100,
                                  hint="Like Local guidance 2026 (28 days)"),
                            *_limit_fields(durations, {})])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                scheme: str) -> HttpResponse:
        operator, deployment = _deployment(request, scheme)
        durations = duration_parameters(scheme_for(deployment.active_version_id))
        profile = profile_save(operator=operator, scheme=scheme, name=values.get("name", ""),
                               limits=_limits(durations, values), reason="")
        messages.success(request, f"Time limits {profile.name} added.")
        return redirect("administration:index")


class ProfileEdit(ActionView):
    def _profile(self, request: HttpRequest, profile_id: int) -> TimeLimitProfile:
        operator = operator_of(request)
        found = TimeLimitProfile.objects.filter(pk=profile_id, force=operator.force).first()
        if found is None:
            raise Http404("Your force has no such time limits.")
        return found

    def page(self, request: HttpRequest, profile_id: int) -> Page:
        profile = self._profile(request, profile_id)
        operator, deployment = _deployment(request, profile.scheme)
        durations = duration_parameters(scheme_for(deployment.active_version_id))
        return Page(title=f"Change the time limits {profile.name}", submit="Save the limits",
                    caption=operator.force.name, back=reverse("administration:index"),
                    back_label=BACK, warning=True,
                    intro=["Open cases using these limits are timed by the new ones from "
                           "their next step."],
                    fields=[Field("name", "Name", max_length=100, initial=profile.name),
                            *_limit_fields(durations, profile.limits), REASON])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                profile_id: int) -> HttpResponse:
        profile = self._profile(request, profile_id)
        operator, deployment = _deployment(request, profile.scheme)
        durations = duration_parameters(scheme_for(deployment.active_version_id))
        profile_save(operator=operator, scheme=profile.scheme, profile_id=profile.pk,
                     name=values.get("name", ""), limits=_limits(durations, values),
                     reason=values.get("reason", ""))
        messages.success(request, "The time limits are changed.")
        return redirect("administration:index")
