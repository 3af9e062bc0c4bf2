"""Factories for forces, officers and process versions (real models, real database)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from webapp.forces.models import Force, Membership, SchemeDeployment, Team, TimeLimitProfile
from webapp.processes.models import ProcessVersion
from webapp.processes.registry import scheme_for, version_from_folder

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "engine" / "fixtures" / "mini"
CSODS = ROOT / "processes" / "csods"
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test accounts only


# The national 2011 limits, under the duration parameters the schemes declare.
NATIONAL_LIMITS = {"limit_initial": "PT24H", "limit_interview": "P10D", "limit_overall": "P45D"}


def profile(code: str = "national-2011", scheme: str = "",
            limits: dict | None = None) -> TimeLimitProfile:
    obj, _ = TimeLimitProfile.objects.get_or_create(
        scheme=scheme, code=code,
        defaults={"name": "National 2011",
                  "limits": NATIONAL_LIMITS if limits is None else limits})
    return obj


def version(process_id: str = "mini", folder: Path = MINI) -> ProcessVersion:
    return version_from_folder(process_id, folder)


def force(code: str = "HRT", name: str = "Hertfordshire", *,
          process: ProcessVersion | None = None, route: str = "single") -> Force:
    """A force running ``process`` (the mini scheme by default) with the national limits."""
    obj, _ = Force.objects.get_or_create(code=code, defaults={"name": name})
    deploy(obj, process or version(), route=route)
    return obj


def deploy(force_obj: Force, process: ProcessVersion, *, route: str = "single",
           parameters: dict | None = None, lane_teams: dict | None = None) -> SchemeDeployment:
    """Make ``force_obj`` run ``process`` for its scheme (its other schemes stay)."""
    declared = scheme_for(process.pk).parameters
    limits = {k: v for k, v in NATIONAL_LIMITS.items() if k in declared}
    values = dict(parameters or {})
    if "decision_route" in declared:
        values.setdefault("decision_route", route)
    deployment, _ = SchemeDeployment.objects.update_or_create(
        force=force_obj, scheme=process.process_id,
        defaults={"active_version": process,
                  "time_limit_profile": profile(scheme=process.process_id, limits=limits),
                  "parameters": values, "lane_teams": lane_teams or {}})
    return deployment


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


def signed_in(user):
    """A test client with ``user`` signed in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def authenticator(user):
    """The user's confirmed authenticator app (django-otp TOTP device), made if missing."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app",
                                               confirmed=True)


def totp_code(device, *, again: bool = True) -> str:
    """The code the person's app shows now, computed from the device's secret (real TOTP).
    ``again`` forgets the last step used, as if the next 30-second window had come: a test
    that signs the same person in twice within one window would otherwise be refused as a
    replay."""
    from django_otp.oath import TOTP

    if again:
        type(device).objects.filter(pk=device.pk).update(last_t=-1)
        device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def second_factor_given(client, user) -> None:
    """Mark ``client``'s signed-in session as having given its second factor (what the code
    page does on a right code), for tests that sign in with ``force_login``."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
    session.save()


def page_html(user, url: str) -> str:
    """The HTML of a page as ``user`` sees it; the page must answer 200."""
    response = signed_in(user).get(url)
    assert response.status_code == 200, (url, response.status_code)  # noqa: S101
    return response.content.decode()


WORK_ROLES = ("contact_handler", "case_officer", "decision_maker", "disclosure_officer")


def csods_officers(*roles: str, code: str = "HRT") -> dict:
    """A force running the national CSODS process with one officer per role (the four work roles
    when none are named), each named as the role; ``"force"`` is the force."""
    hrt = force(code, process=version("csods", CSODS))
    return {"force": hrt, **{role: officer(role, hrt, role) for role in roles or WORK_ROLES}}


def as_post(data: Any, name: str = "") -> list[tuple[str, str]]:
    """Form data as a form page posts it: dotted names, yes/no, dates as day, month and year."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in as_post(v, f"{name}.{k}" if name else k)]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in as_post(v, f"{name}.{i}")]
    if isinstance(data, bool):
        return [(name, "yes" if data else "no")]
    if isinstance(data, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", data):
        year, month, day = data.split("-")
        return [(f"{name}.day", str(int(day))), (f"{name}.month", str(int(month))),
                (f"{name}.year", year)]
    return [(name, str(data))]


def walk(case, users: dict, clock, *, folder: Path = CSODS, answers: dict | None = None,
         wait: dict | None = None) -> None:
    """Answer the case's ready tasks through the services, each by the officer of its role in
    ``users``, with the sample answers of ``folder`` (and ``answers`` per task id) until none
    is left; an hour apart on ``clock`` (a time_machine traveller), longer before the tasks in
    ``wait`` (task id -> timedelta)."""
    import json
    from datetime import timedelta

    from webapp.cases import services
    from webapp.cases.models import HumanTask, TaskState

    answers, wait = answers or {}, wait or {}
    for _ in range(40):
        task = HumanTask.objects.filter(case=case, state=TaskState.READY).order_by("pk").first()
        if task is None:
            return
        clock.shift(wait.get(task.bpmn_id, timedelta(hours=1)))
        form = task.form_file.rsplit("/", 1)[-1].removesuffix(".schema.json")
        data = json.loads((folder / "forms" / "samples" / f"{form}.json").read_text())
        user = users[task.role]
        services.task_claim(user=user, task_id=task.pk)
        services.task_complete(user=user, task_id=task.pk,
                               data={**data, **answers.get(task.bpmn_id, {})})
