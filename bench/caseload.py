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
from django.db import connection, transaction

from webapp.cases import services
from webapp.cases.models import Case, CaseEvent, CaseTimer, HumanTask, TaskState
from webapp.forces.models import DecisionRoute, Force, Membership, Team, TimeLimitProfile
from webapp.processes.registry import version_from_folder

TASKS_PER_CASE = 10
READY_SHARE = 0.2  # ready task rows per case: 20,000 for 100,000 cases
MINE_PER_OFFICER = 50  # each pooled officer holds at least this many ready tasks
SLOTS = 1000  # clones map onto templates through this many slots
ROLES = ("contact_handler", "case_officer", "decision_maker", "disclosure_officer")
FORCES = [  # code, name, profile (code, overall limit), decision route
    ("HRT", "Hertfordshire", ("national-2011", "P45D"), DecisionRoute.SINGLE),
    ("WAR", "Warwickshire", ("national-2023", "P28D"), DecisionRoute.PANEL),
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
    counts: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)


def samples() -> dict[str, Any]:
    folder = Path(settings.PROCESSES_DIR) / "csods" / "forms" / "samples"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def form_of(task_form_file: str) -> str:
    """The sample name for a task's form file, e.g. 'decision.schema.json' -> 'decision'."""
    return Path(task_form_file).name.split(".", 1)[0]


def enquiry(data: dict[str, Any], index: int) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    data["applicant"]["first_name"] = FIRST[index % len(FIRST)]
    data["applicant"]["last_name"] = LAST[(index * 7) % len(LAST)]
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
        "membership__force__time_limit_profile", "membership__force__active_version"))


def setup() -> Load:
    """Process version, two forces, one template officer per role in each."""
    version = version_from_folder("csods", note="bench/inbox.py")
    forces, staff = {}, {}
    for code, name, (profile_code, overall), route in FORCES:
        profile, _ = TimeLimitProfile.objects.get_or_create(code=profile_code, defaults={
            "name": profile_code, "initial": "PT24H", "interview": "P10D", "overall": overall})
        force = Force.objects.create(code=code, name=name, time_limit_profile=profile,
                                     decision_route=route, active_version=version)
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
            case = services.case_start(user=users["contact_handler"],
                                       data=enquiry(answers["enquiry"], index))
            drive(case, plan, users, answers)
            if plan.withdraw:
                services.case_withdraw(user=users["case_officer"], reference=case.reference,
                                       reason="Applicant no longer wishes to proceed")
    load.template_max_id = Case.objects.order_by("-pk").values_list("pk", flat=True)[0]


def _sql(statement: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _one(statement: str, params: list[Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()


T = {"case": Case._meta.db_table, "task": HumanTask._meta.db_table,
     "timer": CaseTimer._meta.db_table, "event": CaseEvent._meta.db_table,
     "force": Force._meta.db_table}


def _slots(clones: int) -> None:
    """Map SLOTS slots onto templates so that the clones hold about READY_SHARE ready rows each."""
    _sql(f"""CREATE TEMP TABLE bench_tmpl AS
        SELECT c.id AS tcase, c.status = 'open' AS is_open,
               (SELECT count(*) FROM {T['task']} h
                WHERE h.case_id = c.id AND h.state = 'ready') AS ready
        FROM {T['case']} c ORDER BY c.id""")
    rows = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tcase, is_open, ready FROM bench_tmpl ORDER BY tcase")
        rows = cursor.fetchall()
    open_ = [r for r in rows if r[1] and r[2] > 0]
    closed = [r for r in rows if not r[1]]
    avg_ready = sum(r[2] for r in open_) / len(open_)
    open_slots = min(SLOTS - 1, round(SLOTS * READY_SHARE / avg_ready))
    slots = [open_[i % len(open_)][0] for i in range(open_slots)]
    slots += [closed[i % len(closed)][0] for i in range(SLOTS - open_slots)]
    _sql("CREATE TEMP TABLE bench_slot (s int PRIMARY KEY, tcase bigint)")
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_slot VALUES (%s, %s)", list(enumerate(slots)))
    # Open clones were opened up to 40 days ago (some are overdue); closed ones up to 3 years.
    base = _one(f"SELECT max(id) FROM {T['case']}")[0]
    _sql("SELECT setseed(0.42)")
    _sql(f"""CREATE TEMP TABLE bench_clone AS
        SELECT g, {int(base)} + g AS case_id, t.tcase, t.is_open,
               make_interval(secs => -86400 * CASE WHEN t.is_open THEN random() * 40
                                                   ELSE 45 + random() * 1050 END) AS shift
        FROM generate_series(1, %s) g
        JOIN bench_slot s ON s.s = g %% {SLOTS}
        JOIN bench_tmpl t ON t.tcase = s.tcase""", [clones])
    _sql("CREATE INDEX ON bench_clone (tcase)")
    _sql("ANALYZE bench_clone")


def _clone_cases() -> int:
    count = _sql(f"""INSERT INTO {T['case']} (id, force_id, reference, status, stage, version_id,
            state, opened_at, closed_at, opened_by_id, outcome_codes, applicant_name,
            subject_name, child_names, next_due_at)
        SELECT cl.case_id, c.force_id,
               f.code || '-' || to_char(c.opened_at + cl.shift, 'YYYY') || '-' || (100000 + cl.g),
               c.status, c.stage, c.version_id, c.state, c.opened_at + cl.shift,
               c.closed_at + cl.shift, c.opened_by_id, c.outcome_codes, c.applicant_name,
               c.subject_name, c.child_names, c.next_due_at + cl.shift
        FROM bench_clone cl JOIN {T['case']} c ON c.id = cl.tcase
        JOIN {T['force']} f ON f.id = c.force_id""")
    _sql(f"SELECT setval(pg_get_serial_sequence('{T['case']}', 'id'), "
         f"(SELECT max(id) FROM {T['case']}))")
    return count


TASK_COLS = ("case_id, force_id, engine_task_id, bpmn_id, name, lane, role, stage, form_file, "
             "instructions, state, assignee_id, due_at, created_at, completed_at, "
             "completed_by_id, draft")


def _clone_tasks(target: int) -> int:
    """Every template task per clone (ready ones unassigned), then completed history rows."""
    count = _sql(f"""INSERT INTO {T['task']} ({TASK_COLS})
        SELECT cl.case_id, h.force_id, h.engine_task_id, h.bpmn_id, h.name, h.lane, h.role,
               h.stage, h.form_file, h.instructions, h.state,
               CASE WHEN h.state = 'ready' THEN NULL ELSE h.assignee_id END,
               h.due_at + cl.shift, h.created_at + cl.shift, h.completed_at + cl.shift,
               h.completed_by_id, h.draft
        FROM bench_clone cl JOIN {T['task']} h ON h.case_id = cl.tcase""")
    extra = target - _one(f"SELECT count(*) FROM {T['task']}")[0]
    if extra > 0:
        # Closed cases that went round again (breach reviews, re-work): more finished rows.
        count += _sql(f"""
            WITH done AS (
                SELECT h.*, row_number() OVER (PARTITION BY h.case_id ORDER BY h.id) - 1 AS ord,
                       count(*) OVER (PARTITION BY h.case_id) AS cnt
                FROM {T['task']} h JOIN bench_tmpl t ON t.tcase = h.case_id
                WHERE NOT t.is_open AND h.state <> 'ready'),
            closed AS (
                SELECT cl.*, row_number() OVER (ORDER BY cl.g) - 1 AS r, count(*) OVER () AS nc
                FROM bench_clone cl WHERE NOT cl.is_open)
            INSERT INTO {T['task']} ({TASK_COLS})
            SELECT c.case_id, d.force_id, gen_random_uuid(), d.bpmn_id, d.name, d.lane, d.role,
                   d.stage, d.form_file, d.instructions, d.state, d.assignee_id,
                   d.due_at + c.shift, d.created_at + c.shift, d.completed_at + c.shift,
                   d.completed_by_id, d.draft
            FROM closed c
            CROSS JOIN LATERAL generate_series(
                1, %s / c.nc + CASE WHEN c.r < %s %% c.nc THEN 1 ELSE 0 END) j
            JOIN done d ON d.case_id = c.tcase AND d.ord = j %% d.cnt""", [extra, extra])
    return count


def _pools(load: Load) -> None:
    """Officer pools per force and role, sized so each officer holds ≥ MINE_PER_OFFICER tasks;
    every other ready clone task goes to a pooled officer, the rest stay in the team queue."""
    with connection.cursor() as cursor:
        cursor.execute(f"""SELECT f.code, h.role, count(*) FROM {T['task']} h
            JOIN {T['force']} f ON f.id = h.force_id
            WHERE h.state = 'ready' AND h.case_id > %s GROUP BY 1, 2""",
                       [load.template_max_id])
        ready = cursor.fetchall()
    _sql("CREATE TEMP TABLE bench_pool (force_id bigint, role text, idx int, user_id bigint)")
    for code, role, count in ready:
        force = load.forces[code]
        size = max(1, count // (2 * MINE_PER_OFFICER))
        team = Team.objects.get(force=force)
        pool = officers(force, team, role,
                        [f"{code.lower()}.{role}.{i:03d}" for i in range(1, size + 1)])
        pool.sort(key=lambda u: u.username)
        load.pools.setdefault(code, {})[role] = pool
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_pool VALUES (%s, %s, %s, %s)",
                               [(force.pk, role, i, u.pk) for i, u in enumerate(pool)])
    _sql(f"""UPDATE {T['task']} h SET assignee_id = p.user_id
        FROM (SELECT id, force_id, role,
                     row_number() OVER (PARTITION BY force_id, role ORDER BY id) AS rn
              FROM {T['task']} WHERE state = 'ready' AND case_id > %s) r
        JOIN (SELECT force_id, role, count(*) AS n FROM bench_pool GROUP BY 1, 2) pc
          ON pc.force_id = r.force_id AND pc.role = r.role
        JOIN bench_pool p ON p.force_id = r.force_id AND p.role = r.role
         AND p.idx = (r.rn / 2) %% pc.n
        WHERE h.id = r.id AND r.rn %% 2 = 1""", [load.template_max_id])


def _clone_timers_and_events() -> tuple[int, int]:
    timers = _sql(f"""INSERT INTO {T['timer']} (case_id, engine_task_id, bpmn_id, name, stage,
            due_at)
        SELECT cl.case_id, t.engine_task_id, t.bpmn_id, t.name, t.stage, t.due_at + cl.shift
        FROM bench_clone cl JOIN {T['timer']} t ON t.case_id = cl.tcase""")
    events = _sql(f"""INSERT INTO {T['event']} (case_id, at, actor_id, kind, stage, task_name,
            bpmn_id, detail, data)
        SELECT cl.case_id, e.at + cl.shift, e.actor_id, e.kind, e.stage, e.task_name,
               e.bpmn_id, e.detail, e.data
        FROM bench_clone cl JOIN {T['event']} e ON e.case_id = cl.tcase""")
    return timers, events


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
        ("slots", lambda: _slots(clones)),
        ("cases", _clone_cases),
        ("tasks", lambda: _clone_tasks(cases * TASKS_PER_CASE)),
        ("assignees", lambda: _pools(load)),
        ("timers and events", _clone_timers_and_events),
    ]
    for name, step in steps:
        started = time.perf_counter()
        with transaction.atomic():
            _sql("SET LOCAL synchronous_commit TO off")
            step()
        load.phases[f"clone {name}"] = time.perf_counter() - started
        say(f"  clone {name}: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    for table in T.values():
        _sql(f"VACUUM (ANALYZE) {table}")
    _sql("CHECKPOINT")  # so that no checkpoint of the load lands inside a measurement
    load.phases["vacuum, analyze, checkpoint"] = time.perf_counter() - started
    say(f"  vacuum, analyze, checkpoint: {time.perf_counter() - started:.1f} s")
    load.counts = counts()
    return load


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"""SELECT
            (SELECT count(*) FROM {T['case']}),
            (SELECT count(*) FROM {T['case']} WHERE status = 'open'),
            (SELECT count(*) FROM {T['task']}),
            (SELECT count(*) FROM {T['task']} WHERE state = 'ready'),
            (SELECT count(*) FROM {T['task']} WHERE state = 'ready' AND assignee_id IS NULL),
            (SELECT count(*) FROM {T['timer']}),
            (SELECT count(*) FROM {T['event']}),
            pg_database_size(current_database())""")
        row = cursor.fetchone()
    keys = ("cases", "open cases", "task rows", "ready tasks", "unassigned ready tasks",
            "timers", "events", "database bytes")
    return dict(zip(keys, row, strict=True))
