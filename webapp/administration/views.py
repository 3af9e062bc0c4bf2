"""The force administrator's pages (the force, its teams) and the national administrator's
(the forces). People are on ``people_views``, schemes and time limits on ``scheme_views``.
Every query is scoped to the administrator's own force; another force's rows are 404."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from webapp.action_pages import ActionView, Field, Page
from webapp.clocks.durations import duration_words
from webapp.errors import ServiceError
from webapp.forces.models import Force, Membership, SchemeDeployment, Team
from webapp.permissions import require_national
from webapp.processes.models import Deployment, DeploymentStatus

from .people import NewUser
from .schemes import duration_parameters, profiles_for, scheme_summary
from .scope import Operator, administrator
from .structure import force_create, force_rename, team_add, team_change, team_remove

REASON = Field("reason", "Why are you making this change?", kind="textarea",
               hint="This is recorded in the access log with your name.")
BACK = "Back to administration"


def limits_words(limits: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """A profile's limits as people read them: "Initial checks: 24 hours; ..."."""
    words = [f"{labels.get(name, name)}: {duration_words(str(value))}"
             for name, value in limits.items() if value]
    return "; ".join(words) or "The scheme's own defaults"


def operator_of(request: HttpRequest) -> Operator:
    """The administrator's operator; anyone else gets the 403 page."""
    try:
        return administrator(request.user)
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from exc


@login_required
def index(request: HttpRequest) -> HttpResponse:
    operator = operator_of(request)
    force = operator.force
    teams = (Team.objects.filter(force=force).annotate(people=Count("members"))
             .order_by("unit", "name"))
    deployments = SchemeDeployment.objects.filter(force=force).order_by("scheme")
    waiting = (Deployment.objects.filter(force=force, status=DeploymentStatus.PENDING)
               .select_related("version").defer("version__files", "version__spec_json"))
    people = Membership.objects.filter(force=force)
    schemes = [scheme_summary(d) for d in deployments]
    labels = {name: label for s in schemes
              for name, label in duration_parameters(s["scheme"]).items()}
    return render(request, "administration/index.html", {
        "force": force, "teams": teams, "schemes": schemes,
        "profiles": [(p, limits_words(p.limits, labels)) for p in profiles_for(force.pk)],
        "waiting": waiting,
        "people_count": people.filter(user__is_active=True).count(),
        "inactive_count": people.filter(user__is_active=False).count(),
        "nav": "administration"})


class ForceEdit(ActionView):
    def page(self, request: HttpRequest) -> Page:
        force = operator_of(request).force
        return Page(title="Change the force's name", submit="Save the name",
                    caption=force.name, back=reverse("administration:index"), back_label=BACK,
                    details=[("Force code", f"{force.code} (starts every case reference; "
                                            "it cannot change)")],
                    fields=[Field("name", "Force name", initial=force.name, max_length=100),
                            REASON])

    def perform(self, request: HttpRequest, values: Mapping[str, str]) -> HttpResponse:
        force_rename(operator=operator_of(request), name=values.get("name", ""),
                     reason=values.get("reason", ""))
        messages.success(request, "The force's name is changed.")
        return redirect("administration:index")


def _team_fields(team: Team | None = None, *, reason: bool) -> list[Field]:
    return [Field("name", "Team name", initial=team.name if team else "", max_length=100),
            Field("unit", "Unit (optional)", initial=team.unit if team else "", max_length=100,
                  hint="The unit the team belongs to, like Public Protection Unit"),
            *([REASON] if reason else [])]


class TeamAdd(ActionView):
    def page(self, request: HttpRequest) -> Page:
        force = operator_of(request).force
        return Page(title="Add a team", submit="Add the team", caption=force.name,
                    back=reverse("administration:index"), back_label=BACK,
                    fields=_team_fields(reason=False))

    def perform(self, request: HttpRequest, values: Mapping[str, str]) -> HttpResponse:
        team = team_add(operator=operator_of(request), name=values.get("name", ""),
                        unit=values.get("unit", ""))
        messages.success(request, f"Team {team.name} added.")
        return redirect("administration:index")


class TeamEdit(ActionView):
    def page(self, request: HttpRequest, team_id: int) -> Page:
        force = operator_of(request).force
        team = Team.objects.filter(pk=team_id, force=force).first()
        if team is None:
            raise Http404("No such team in your force.")
        return Page(title=f"Change {team.name}", submit="Save the team", caption=force.name,
                    back=reverse("administration:index"), back_label=BACK,
                    intro=["Tasks sent to this team still go to it when it is renamed."],
                    fields=_team_fields(team, reason=True))

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                team_id: int) -> HttpResponse:
        team_change(operator=operator_of(request), team_id=team_id,
                    name=values.get("name", ""), unit=values.get("unit", ""),
                    reason=values.get("reason", ""))
        messages.success(request, "The team is changed.")
        return redirect("administration:index")


class TeamRemove(ActionView):
    def page(self, request: HttpRequest, team_id: int) -> Page:
        force = operator_of(request).force
        team = Team.objects.filter(pk=team_id, force=force).first()
        if team is None:
            raise Http404("No such team in your force.")
        return Page(title=f"Remove {team.name}", submit="Remove the team", caption=force.name,
                    warning=True, back=reverse("administration:index"), back_label=BACK,
                    intro=["A team can be removed once nobody is in it, no task waits for it "
                           "and no scheme sends it new tasks."],
                    fields=[REASON])

    def perform(self, request: HttpRequest, values: Mapping[str, str],
                team_id: int) -> HttpResponse:
        name = team_remove(operator=operator_of(request), team_id=team_id,
                           reason=values.get("reason", ""))
        messages.success(request, f"Team {name} removed.")
        return redirect("administration:index")


def _national(request: HttpRequest) -> None:
    try:
        require_national(request.user)
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from exc


@login_required
def forces(request: HttpRequest) -> HttpResponse:
    _national(request)
    rows = Force.objects.annotate(people=Count("members", distinct=True),
                                  schemes_run=Count("schemes", distinct=True)).order_by("name")
    return render(request, "administration/forces.html", {"forces": rows, "nav": "forces"})


class ForceCreate(ActionView):
    def page(self, request: HttpRequest) -> Page:
        _national(request)
        return Page(title="Create a force", submit="Create the force",
                    back=reverse("administration:forces"), back_label="Back to the forces",
                    intro=["The force's first force administrator is created with it; they "
                           "add the force's teams and people. A policy lead of the force then "
                           "asks for its schemes in Processes, and a second approves."],
                    fields=[Field("code", "Force code", max_length=4,
                                  hint="2 to 4 letters, like HRT: it starts every case "
                                       "reference and cannot change"),
                            Field("name", "Force name", max_length=100),
                            Field("username", "First administrator's username",
                                  max_length=150),
                            Field("first_name", "Their first name", max_length=150),
                            Field("last_name", "Their last name", max_length=150),
                            Field("email", "Their email address (optional)", max_length=254),
                            Field("reason", "Why is the force being created?",
                                  kind="textarea")])

    def perform(self, request: HttpRequest, values: Mapping[str, str]) -> HttpResponse:
        _national(request)
        force, password = force_create(
            actor=request.user, code=values.get("code", ""), name=values.get("name", ""),
            reason=values.get("reason", ""),
            first_admin=NewUser(username=values.get("username", ""),
                                first_name=values.get("first_name", ""),
                                last_name=values.get("last_name", ""),
                                email=values.get("email", "")))
        return password_page(request, f"{force.name} is created",
                             username=values.get("username", "").strip(), password=password,
                             back=reverse("administration:forces"),
                             back_label="Back to the forces")


def password_page(request: HttpRequest, title: str, *, username: str, password: str,
                  back: str, back_label: str) -> HttpResponse:
    """The one time a temporary password is shown (never stored in clear, never logged)."""
    response = render(request, "administration/password.html", {
        "title": title, "username": username, "password": password, "back": back,
        "back_label": back_label, "nav": "administration"})
    response["Cache-Control"] = "no-store"
    return response
