"""The inbox benchmark's case load: real template cases made through the services, then cloned.

About 200 cases are driven through `case_start`, `task_claim` and `task_complete` with the
CSODS sample form data, stopping at every stage, so that their state blobs, task rows, timers
and timelines are exactly what officers produce. PostgreSQL then clones them with
`INSERT … SELECT` over `generate_series`, shifting each clone's times, until the target
numbers of cases and task rows are reached; ready tasks are spread over officer pools.
Requires `django.setup()` against the benchmark database.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from bench import cloning
from engine import scheme as declarations
from webapp.cases import services
from webapp.cases.demo import vary_details
from webapp.cases.models import Case, HumanTask, TaskState
from webapp.forces.models import Force, Membership, SchemeDeployment, Team, TimeLimitProfile
from webapp.processes.registry import version_from_folder

TASKS_PER_CASE = 10
READY_SHARE = 0.2  # ready task rows per case: 20,000 for 100,000 cases
MINE_PER_OFFICER = 50  # each pooled officer holds at least this many ready tasks
ROLES = ("contact_handler", "case_officer", "decision_maker", "disclosure_officer")
FORCES = [  # code, name, profile (code, overall limit), decision route
    ("HRT", "Hertfordshire", ("national-2011", "P45D"), "single"),
    ("WAR", "Warwickshire", ("national-2023", "P28D"), "panel"),
]
FIRST = ["Sarah", "James", "Priya", "Tom", "Aisha", "Gareth", "Mei", "Olu", "Hannah", "Connor"]
LAST = ["Collins", "Baker", "Shah", "Reed", "Khan", "Evans", "Li", "Adeyemi", "Price", "Walsh",
        "Hussain", "Morgan", "Clarke"]
NO_DISCLOSURE = {"decision": "no_disclosure", "disclosure_category": "not_applicable",
                 "safeguarding_referral": False}


@dataclass(frozen=True)
class Plan:
    """How far a template case goes: answer tasks until one in ``stop`` is offered."""

    stop: tuple[str, ...] = ()
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    withdraw: bool = False


PLANS = [
    Plan(("ut_initial_checks",)),
    Plan(("ut_verification_interview",)),
    Plan(("ut_police_checks",)),
    Plan(("ut_risk_assessment",)),
    Plan(("ut_decision", "ut_panel_decision")),
    Plan(("ut_plan_disclosure",)),
    Plan(("ut_deliver_disclosure",)),
    Plan(("ut_immediate_risk_review",), {"ut_initial_checks": {
        "immediate_risk": True, "immediate_risk_details": "Child left alone with the subject"}}),
    Plan(("ut_verification_interview",), withdraw=True),
    Plan(()),
    Plan(()),
    Plan(()),
    Plan((), {"ut_decision": NO_DISCLOSURE, "ut_panel_decision": NO_DISCLOSURE}),
    Plan((), {"ut_initial_checks": {"in_scope": False, "out_of_scope_reason": "other_scheme"}}),
]


@dataclass
class Load:
    """What was loaded, and who works it."""

    forces: dict[str, Force]
    staff: dict[str, dict[str, Any]]  # force code -> role -> the template officer
    pools: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    template_max_id: int = 0
    loadavg: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)


def samples() -> dict[str, Any]:
    folder = Path(settings.PROCESSES_DIR) / "csods" / "forms" / "samples"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def form_of(task_form_file: str) -> str:
    """The sample name for a task's form file, e.g. 'decision.schema.json' -> 'decision'."""
    return Path(task_form_file).name.split(".", 1)[0]


def enquiry(data: dict[str, Any], index: int) -> dict[str, Any]:
    """The sample enquiry with the applicant's name, phone number and birthday varied by
    ``index`` (the demo's variation of the declared search fields), so that template cases are
    not all linked to each other through one shared number."""
    data = json.loads(json.dumps(data))
    data["applicant"]["first_name"] = FIRST[index % len(FIRST)]
    data["applicant"]["last_name"] = LAST[(index * 7) % len(LAST)]
    declared = Path(settings.PROCESSES_DIR) / "csods" / "scheme.json"
    scheme = declarations.build(declarations.read_declaration(declared.read_bytes()))
    applicant = scheme.party("applicant")
    if applicant is not None:
        vary_details(data["applicant"], applicant.search, index, 0)
    return data


def officers(force: Force, team: Team, role: str, names: list[str]) -> list[Any]:
    """Officers holding ``role``, made in bulk (no password hashing: the bench logs in directly)."""
    user_model = get_user_model()
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        [user_model(username=name, password=unusable) for name in names])
    Membership.objects.bulk_create(
        [Membership(user=u, force=force, team=team, roles=[role]) for u in users])
    return list(user_model.objects.filter(username__in=names).select_related(
        "membership__force"))


def setup() -> Load:
    """Process version, two forces, one template officer per role in each."""
    version = version_from_folder("csods", note="bench/inbox.py")
    forces, staff = {}, {}
    for code, name, (profile_code, overall), route in FORCES:
        profile, _ = TimeLimitProfile.objects.get_or_create(
            scheme=version.process_id, code=profile_code, defaults={
                "name": profile_code, "limits": {"limit_initial": "PT24H",
                                                 "limit_interview": "P10D",
                                                 "limit_overall": overall}})
        force = Force.objects.create(code=code, name=name)
        SchemeDeployment.objects.create(force=force, scheme=version.process_id,
                                        active_version=version, time_limit_profile=profile,
                                        parameters={"decision_route": route})
        team = Team.objects.create(force=force, name="Public Protection Unit")
        forces[code] = force
        staff[code] = {role: officers(force, team, role, [f"{code.lower()}.{role}"])[0]
                       for role in ROLES}
    return Load(forces=forces, staff=staff)


def drive(case: Case, plan: Plan, users: dict[str, Any], answers: dict[str, Any]) -> None:
    """Answer the case's tasks (claim, then complete) until a stop task is offered."""
    for _ in range(40):
        tasks = list(HumanTask.objects.filter(case=case, state=TaskState.READY).order_by("pk"))
        if not tasks or any(t.bpmn_id in plan.stop for t in tasks):
            return
        task = tasks[0]
        data = {**answers[form_of(task.form_file)], **plan.overrides.get(task.bpmn_id, {})}
        services.task_claim(user=users[task.role], task_id=task.pk)
        services.task_complete(user=users[task.role], task_id=task.pk, data=data)


def make_templates(load: Load, per_force: int) -> None:
    answers = samples()
    for code in load.forces:
        users = load.staff[code]
        for index in range(per_force):
            plan = PLANS[index % len(PLANS)]
            case = services.case_start(user=users["contact_handler"], scheme="csods",
                                       data=enquiry(answers["enquiry"], index))
            drive(case, plan, users, answers)
            if plan.withdraw:
                services.case_withdraw(user=users["case_officer"], reference=case.reference,
                                       reason="Applicant no longer wishes to proceed")
    load.template_max_id = Case.objects.order_by("-pk").values_list("pk", flat=True)[0]


def _pools(load: Load) -> None:
    """Officer pools per force and role, sized so that each officer holds at least
    MINE_PER_OFFICER ready tasks: every other ready clone task is theirs, the rest queue."""
    by_id = {force.pk: code for code, force in load.forces.items()}
    rows = []
    for force_id, role, ready in cloning.ready_counts(load.template_max_id):
        code = by_id[force_id]
        size = max(1, ready // (2 * MINE_PER_OFFICER))
        force = load.forces[code]
        pool = officers(force, Team.objects.get(force=force), role,
                        [f"{code.lower()}.{role}.{i:03d}" for i in range(1, size + 1)])
        pool.sort(key=lambda u: u.username)
        load.pools.setdefault(code, {})[role] = pool
        rows += [(force_id, role, i, user.pk) for i, user in enumerate(pool)]
    cloning.assign_ready(rows, load.template_max_id)


def build(cases: int, *, templates_per_force: int = 100, say: Any = print) -> Load:
    """Make the whole load; returns who works it and how long each phase took."""
    began = time.perf_counter()
    with transaction.atomic():
        load = setup()
    make_templates(load, templates_per_force)
    load.phases["template cases through the services"] = time.perf_counter() - began
    say(f"  {2 * templates_per_force} template cases in {time.perf_counter() - began:.1f} s")
    clones = max(0, cases - 2 * templates_per_force)
    steps = [
        ("slots", lambda: cloning.map_slots(clones, READY_SHARE)),
        ("cases", cloning.clone_cases),
        *[(model._meta.verbose_name_plural, lambda model=model: cloning.clone_rows(model))
          for model in cloning.case_tables()],
        ("finished task history", lambda: cloning.top_up_tasks(cases * TASKS_PER_CASE)),
        ("assignees", lambda: _pools(load)),
    ]
    for name, step in steps:
        started = time.perf_counter()
        with transaction.atomic():
            cloning.execute("SET LOCAL synchronous_commit TO off")
            step()
        load.phases[f"clone {name}"] = time.perf_counter() - started
        say(f"  clone {name}: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    cloning.settle()
    load.phases["vacuum, analyze, checkpoint"] = time.perf_counter() - started
    say(f"  vacuum, analyze, checkpoint: {time.perf_counter() - started:.1f} s")
    load.counts = cloning.counts()
    return load
