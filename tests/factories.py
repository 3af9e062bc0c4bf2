"""Factories for forces, officers and process versions (real models, real database)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model

from webapp.forces.models import Force, Membership, Team, TimeLimitProfile
from webapp.processes.models import ProcessVersion
from webapp.processes.registry import version_from_folder

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "engine" / "fixtures" / "mini"
CSODS = ROOT / "processes" / "csods"
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test accounts only


def profile(code: str = "national-2011") -> TimeLimitProfile:
    obj, _ = TimeLimitProfile.objects.get_or_create(
        code=code, defaults={"name": "National 2011", "initial": "PT24H", "interview": "P10D",
                             "overall": "P45D"})
    return obj


def version(process_id: str = "mini", folder: Path = MINI) -> ProcessVersion:
    return version_from_folder(process_id, folder)


def force(code: str = "HRT", name: str = "Hertfordshire", *,
          process: ProcessVersion | None = None, route: str = "single") -> Force:
    obj, _ = Force.objects.get_or_create(
        code=code, defaults={"name": name, "time_limit_profile": profile(),
                             "decision_route": route})
    obj.active_version = process or version()
    obj.save()
    return obj


def team(force_obj: Force, name: str = "Public Protection Unit") -> Team:
    obj, _ = Team.objects.get_or_create(force=force_obj, name=name)
    return obj


def officer(username: str, force_obj: Force, *roles: str, team_obj: Team | None = None):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(user=user, force=force_obj, roles=list(roles),
                              team=team_obj if team_obj is not None else team(force_obj))
    return user


def sample(form_key: str) -> dict:
    """Valid sample data for one of the national process's forms."""
    import json

    return json.loads((CSODS / "forms" / "samples" / f"{form_key}.json").read_text())
