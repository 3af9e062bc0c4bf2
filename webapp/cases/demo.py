"""Demo data: two forces, an officer for each role, and cases spread over every stage.

Cases are made through the real services at back-dated times (time-machine), so their state,
tasks, clocks and timelines are exactly what officers would have produced; some are overdue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from engine.scheme import DECLARATION_FILE
from webapp.cases import services
from webapp.cases.labelled import task_form_file
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.forces.models import (
    Force,
    Membership,
    Role,
    SchemeDeployment,
    Team,
    TimeLimitProfile,
)
from webapp.processes.registry import definition_for_id, version_from_folder

PASSWORD = "demo-password-2026"  # noqa: S105 - published demo accounts, never in production
# Each scheme's demo.json may give "profiles" (code -> name and limits) and "forces" (force code
# -> the profile it uses and its parameters); without them a force runs the declared defaults.
FORCES = [("HRT", "Hertfordshire"), ("WAR", "Warwickshire")]
ROLE_USERS = {Role.CONTACT_HANDLER: "contact", Role.CASE_OFFICER: "officer",
              Role.DECISION_MAKER: "decision", Role.DISCLOSURE_OFFICER: "disclosure",
              Role.POLICY_LEAD: "policy", Role.FORCE_ADMIN: "admin", Role.AUDITOR: "auditor"}
# Second persons, for the actions one asks and another approves (erasure, lifting a hold,
# deploying a process version).
SECOND_USERS = [(Role.AUDITOR, "auditor2"), (Role.POLICY_LEAD, "policy2")]
LOGINS = [*ROLE_USERS.items(), *SECOND_USERS]
# A national administrator (Django's staff flag, no force): creates forces and their first
# force administrator.
NATIONAL_ADMIN = "national.admin"

FIRST_NAMES = ["Sarah", "James", "Priya", "Tom", "Aisha", "Gareth", "Mei", "Olu", "Hannah",
               "Connor", "Zara", "Dylan", "Ruth", "Kwame", "Ellen"]
WITHDRAW_REASON = "No longer wishes to proceed"
SURNAMES = ["Collins", "Baker", "Shah", "Reed", "Khan", "Evans", "Li", "Adeyemi", "Price",
            "Walsh", "Hussain", "Morgan", "Clarke", "Mensah", "Hughes"]


@dataclass(frozen=True)
class Plan:
    """How far a demo case goes (one entry of a scheme's ``demo.json``): answer tasks until one
    in ``stop`` is offered; ``answers`` replace sample answers per task; ``same_people`` makes
    a party (by its declared key) the same person as in an earlier plan of the list (by its
    place), so the demo shows a second application about someone as linked cases."""

    days_ago: float
    stop: tuple[str, ...] = ()
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    withdraw: bool | str = False
    same_people: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoScheme:
    """A scheme folder with ``scheme.json`` and ``demo.json``: its plans and sample answers."""

    name: str
    plans: tuple[Plan, ...]
    samples: dict[str, Any]  # form stem -> sample answers
    vary_names: tuple[str, ...]


def demo_schemes(root: Path | None = None) -> list[DemoScheme]:
    """Every scheme folder under ``processes/`` that says how its demo cases go."""
    root = root or Path(settings.PROCESSES_DIR)
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if not ((folder / DECLARATION_FILE).is_file() and (folder / "demo.json").is_file()):
            continue
        doc = json.loads((folder / "demo.json").read_text())
        plans = tuple(Plan(float(p["days_ago"]), tuple(p.get("stop", ())),
                           dict(p.get("answers", {})), p.get("withdraw", False),
                           {k: int(v) for k, v in p.get("same_people", {}).items()})
                      for p in doc.get("plans", []))
        samples = {p.name.removesuffix(".json"): json.loads(p.read_text())
                   for p in (folder / "forms" / "samples").glob("*.json")}
        found.append(DemoScheme(folder.name, plans, samples, tuple(doc.get("vary_names", ()))))
    return found


def _stem(form_file: str) -> str:
    return form_file.removesuffix(".schema.json")


def username(force_code: str, role: str) -> str:
    return f"{force_code.lower()}.{ROLE_USERS[Role(role)]}"


def demo_users() -> list[tuple[str, str, str]]:
    return [*((f"{code.lower()}.{login}", name, Role(role).label)
              for code, name in FORCES for role, login in LOGINS),
            (NATIONAL_ADMIN, "All forces", "National administrator")]


def _schemes() -> list[Path]:
    """Every scheme folder under processes/ (one with a scheme.json), in name order."""
    return sorted(p.parent for p in Path(settings.PROCESSES_DIR).glob(f"*/{DECLARATION_FILE}"))


def _deploy_schemes(force: Force) -> None:
    """Make the force run every scheme, with the profile and parameters its demo.json gives."""
    for folder in _schemes():
        demo_file = folder / "demo.json"
        demo = json.loads(demo_file.read_text()) if demo_file.exists() else {}
        profiles = {}
        for code, spec in (demo.get("profiles") or {}).items():
            profiles[code], _ = TimeLimitProfile.objects.update_or_create(
                scheme=folder.name, code=code,
                defaults={"name": spec.get("name", code), "limits": spec.get("limits", {})})
        mine = (demo.get("forces") or {}).get(force.code, {})
        chosen = mine.get("profile") or next(iter(profiles), None)
        version = version_from_folder(folder.name,
                                      note=f"National base from processes/{folder.name}")
        SchemeDeployment.objects.update_or_create(force=force, scheme=folder.name, defaults={
            "active_version": version, "time_limit_profile": profiles.get(chosen),
            "parameters": mine.get("parameters", {}), "lane_teams": mine.get("lane_teams", {})})


def _setup() -> dict[str, dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    user_model = get_user_model()
    for code, name in FORCES:
        force, _ = Force.objects.update_or_create(code=code, defaults={"name": name})
        _deploy_schemes(force)
        team, _ = Team.objects.get_or_create(force=force, name="Public Protection Unit")
        users[code] = {}
        for index, (role, login) in enumerate(LOGINS):
            user, created = user_model.objects.get_or_create(username=f"{code.lower()}.{login}")
            if created:
                user.set_password(PASSWORD)
                # officers have names: pages name people by them, not by their logins
                number = index + 7 * len(users)  # one name and number per login
                user.first_name, user.last_name = FIRST_NAMES[number % 15], SURNAMES[
                    (number * 4 + 2) % 15]
                user.save()
            Membership.objects.update_or_create(user=user, defaults={
                "force": force, "team": team, "roles": [str(role)],
                # a collar or staff number, as forces record them beside names
                "collar_number": str(4100 + 37 * (index + 7 * len(users)))})
            users[code].setdefault(str(role), user)
    national, created = user_model.objects.get_or_create(
        username=NATIONAL_ADMIN, defaults={"is_staff": True, "first_name": "Nadia",
                                           "last_name": "Okafor"})
    if created:
        national.set_password(PASSWORD)
        national.save()
    return users


def _person(person: Any, index: int, offset: int) -> Any:
    """A person with a name varied by ``index`` (name parts, or one ``name``)."""
    if not isinstance(person, dict):
        return person
    first, last = FIRST_NAMES[(index + offset) % 15], SURNAMES[(index * 7 + offset * 3) % 15]
    if "first_name" in person or "last_name" in person:
        return {**person, "first_name": first, "last_name": last}
    if "name" in person:
        return {**person, "name": f"{first} {last}"}
    return person


def _intake(scheme: DemoScheme, definition: Any, index: int, plan: Plan,
            shift: int) -> dict[str, Any]:
    """The intake form's sample answers (with the plan's answers for the intake task), with the
    ``vary_names`` parties renamed per case (``index`` is the plan's place, ``shift`` the
    force's); a party of ``plan.same_people`` is named as in the plan it points to."""
    data = json.loads(json.dumps({
        **scheme.samples[_stem(task_form_file(definition, definition.scheme.intake))],
        **plan.answers.get(definition.scheme.intake, {})}))
    for offset, key in enumerate(scheme.vary_names):
        party = definition.scheme.party(key)
        if party is None or party.field not in data:
            continue
        value, whose = data[party.field], plan.same_people.get(key, index) + shift
        data[party.field] = ([_person(p, whose + i, offset) for i, p in enumerate(value)]
                             if isinstance(value, list) else _person(value, whose, offset))
        vary_details(data[party.field], party.search, whose, offset)
    return data


PHONE_DIGITS = 9  # a value with fewer digits is not a phone number (an email, say)


def vary_details(people: Any, search: Mapping[str, str], index: int, offset: int) -> None:
    """One phone number and one birthday per demo person: the last five digits of the party's
    declared phone field are its sample's last three, the case's index and the party's place
    (so no two parties or schemes share one), and the day of its declared date of birth is the
    case's (names repeat every 15 cases; without this, demo cases would be linked to each
    other)."""
    phone, born = search.get("phone"), search.get("date_of_birth")
    for person in people if isinstance(people, list) else [people]:
        if not isinstance(person, dict):
            continue
        value = person.get(phone) if phone else None
        if isinstance(value, str) and sum(c.isdigit() for c in value) >= PHONE_DIGITS:
            digits = re.sub(r"\D", "", value)
            ours = (int(digits[-3:]) * 100 + index * 10 + offset) % 100000
            person[phone] = re.sub(r"\d{5}$", f"{ours:05d}", value.rstrip().replace(" ", ""))
        value = person.get(born) if born else None
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            person[born] = f"{value[:8]}{index % 28 + 1:02d}"


def _work(case: Case, plan: Plan, users: dict[str, Any], samples: dict[str, Any],
          clock: Any) -> None:
    for _ in range(40):
        tasks = list(HumanTask.objects.filter(case=case, state=TaskState.READY).order_by("pk"))
        if not tasks or any(t.bpmn_id in plan.stop for t in tasks):
            return
        task = next((t for t in tasks if _stem(t.form_file) in samples and t.role in users),
                    None)
        if task is None:
            return
        data = {**samples[_stem(task.form_file)], **plan.answers.get(task.bpmn_id, {})}
        user = users[task.role]
        clock.shift(timedelta(hours=5))
        services.task_claim(user=user, task_id=task.pk)
        services.task_complete(user=user, task_id=task.pk, data=data)


def _claim_next(case: Case, users: dict[str, Any]) -> None:
    """Give the case's next task to the officer of its role, so that 'My tasks' has work."""
    task = HumanTask.objects.filter(case=case, state=TaskState.READY).order_by("pk").first()
    if task is not None and task.role in users:
        services.task_claim(user=users[task.role], task_id=task.pk)


def seed_scheme_cases(deployment: SchemeDeployment, scheme: DemoScheme, users: dict[str, Any],
                      position: int, now: Any) -> int:
    """The force's cases of ``scheme`` by its demo plans, worked by ``users`` (role -> user);
    ``position`` varies the names per force. Also the benchmarks' template cases."""
    definition = definition_for_id(deployment.active_version_id)
    declared = definition.scheme
    # the role of the lane holding the scheme's intake task records the case
    starter = users[declared.role_for_lane(definition.task_lane(declared.intake))
                    or Role.CONTACT_HANDLER]
    made = 0
    for index, plan in enumerate(scheme.plans):
        with time_machine.travel(now - timedelta(days=plan.days_ago), tick=False) as clock:
            case = services.case_start(user=starter, scheme=scheme.name,
                                       data=_intake(scheme, definition, index, plan, 5 * position))
            _work(case, plan, users, scheme.samples, clock)
            if plan.withdraw:
                reason = plan.withdraw if isinstance(plan.withdraw, str) else WITHDRAW_REASON
                services.case_withdraw(user=users[Role.CASE_OFFICER],
                                       reference=case.reference, reason=reason)
            elif index % 2 == 0:
                _claim_next(case, users)
        made += 1
    return made


def seed() -> int:
    """Create the demo forces, users and cases; return how many cases were made (0 if seeded).

    Each scheme folder with a ``demo.json`` gives the cases of the forces running it."""
    with transaction.atomic():
        users = _setup()
    made = 0
    now = timezone.now()
    schemes = demo_schemes()
    for position, (code, _name) in enumerate(FORCES):
        force = Force.objects.get(code=code)
        if Case.objects.filter(force=force).exists():
            continue
        for scheme in schemes:
            deployment = SchemeDeployment.objects.filter(force=force, scheme=scheme.name).first()
            if deployment is not None:
                made += seed_scheme_cases(deployment, scheme, users[code], position, now)
    return made
