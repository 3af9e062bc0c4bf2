"""The national data set: 43 forces, cases grown by cloning, an access log grown in SQL.

The case load is the inbox benchmark's (bench/caseload.py: template cases through the services,
cloned in SQL) over 43 forces instead of two, and of both schemes: every force also runs every
other scheme folder with a demo.json (Clare's Law), whose template cases follow that file's plans
(the demo's own driver), and the clones take the schemes' published shares of the volume.
Growing it adds closed cases only — years of history — with their finished task rows, so
each force's open work (My tasks, the team queue) stays what it was and the measured pages
see the same work in a ten times larger database.
The access log is grown with ``INSERT … SELECT`` over ``generate_series``: rows spread over
the 43 forces, 200 users a force and five years, their hash chain vouched for by a signed
checkpoint at its end (the chain itself is not real: only rows added after the checkpoint are
walked, which is what ``audit_verify --since-checkpoint`` does).
Requires `django.setup()` against the benchmark database.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from bench import caseload, cloning
from webapp.cases.demo import DemoScheme, demo_schemes, seed_scheme_cases
from webapp.cases.models import Case
from webapp.forces.models import SchemeDeployment
from webapp.processes.registry import version_from_folder

FORCE_COUNT = 43
USERS_PER_FORCE = 200
CASE_REFERENCES = 20_000  # distinct case references per force in the bulk log rows
LOG_YEARS = 5
# Clare's Law has about ten times the volume of Sarah's Law (../shared/dvds-spec.md §7).
SCHEME_SHARES = {"csods": 1 / 11, "dvds": 10 / 11}


def national_forces(count: int = FORCE_COUNT) -> list[tuple[str, str, tuple[str, str], str]]:
    """The inbox's two forces and ``count - 2`` more (codes N03…), profiles and routes mixed."""
    forces = list(caseload.FORCES[:2])
    for number in range(3, count + 1):
        profile, route = forces[number % 2][2], forces[number % 2][3]
        forces.append((f"N{number:02d}", f"Force {number}", profile, route))
    return forces


def spread(forces: dict[str, Any]) -> None:
    """Give the clones about to be made (bench_clone) the 43 forces in turn."""
    ids = [force.pk for force in forces.values()]
    cloning.execute("UPDATE bench_clone SET force_id = (%s::bigint[])[1 + g %% %s]",
                    [ids, len(ids)])


def _steps(load: caseload.Load, clones: int, share: float, cases: int,
           up_to: int | None) -> list[tuple[str, Any]]:
    def slots() -> None:
        cloning.execute("DROP TABLE IF EXISTS bench_tmpl, bench_slot, bench_clone, bench_pool")
        cloning.map_slots(clones, share, templates_up_to=up_to, shares=SCHEME_SHARES)
        spread(load.forces)

    return [("slots", slots), ("cases", cloning.clone_cases),
            *[(model._meta.verbose_name_plural, lambda model=model: cloning.clone_rows(model))
              for model in cloning.case_tables()],
            ("finished task history",
             lambda: cloning.top_up_tasks(cases * caseload.TASKS_PER_CASE))]


def _run(steps: list[tuple[str, Any]], phases: dict[str, float], prefix: str,
         say: Any) -> None:
    for name, step in steps:
        started = time.perf_counter()
        with transaction.atomic():
            cloning.execute("SET LOCAL synchronous_commit TO off")
            step()
        phases[f"{prefix} {name}"] = time.perf_counter() - started
        say(f"  {prefix} {name}: {phases[f'{prefix} {name}']:.1f} s")
    started = time.perf_counter()
    cloning.settle()
    phases[f"{prefix}: vacuum, analyze, checkpoint"] = time.perf_counter() - started


def build(cases: int, *, templates_per_force: int, say: Any = print) -> caseload.Load:
    """43 forces; template cases made through the services in the inbox's two forces, cloned
    over all 43 (the clones' times shifted); ready clone tasks spread over officer pools."""
    caseload.FORCES[:] = national_forces()
    began = time.perf_counter()
    with transaction.atomic():
        load = caseload.setup()
        others = deploy_other_schemes(load)
    everyone = load.forces
    load.forces = {code: everyone[code] for code in list(everyone)[:2]}
    caseload.make_templates(load, templates_per_force)
    made = other_scheme_templates(load, others)
    load.template_max_id = Case.objects.order_by("-pk").values_list("pk", flat=True)[0]
    load.forces = everyone
    load.phases["template cases through the services"] = time.perf_counter() - began
    say(f"  {2 * templates_per_force + made} template cases in "
        f"{time.perf_counter() - began:.1f} s")
    clones = max(0, cases - 2 * templates_per_force)
    steps = _steps(load, clones, caseload.READY_SHARE, cases, None)
    steps.append(("assignees", lambda: caseload._pools(load)))  # noqa: SLF001
    _run(steps, load.phases, "clone", say)
    load.counts = cloning.counts()
    return load


def deploy_other_schemes(load: caseload.Load) -> list[DemoScheme]:
    """Every force also runs each other scheme that has demo plans, at its declared defaults."""
    others = [scheme for scheme in demo_schemes() if scheme.name != "csods"]
    for scheme in others:
        version = version_from_folder(scheme.name, note="bench/national.py")
        SchemeDeployment.objects.bulk_create(
            [SchemeDeployment(force=force, scheme=scheme.name, active_version=version)
             for force in load.forces.values()])
    return others


def other_scheme_templates(load: caseload.Load, others: list[DemoScheme]) -> int:
    """Template cases of the other schemes in the template forces, by their demo plans."""
    made, now = 0, timezone.now()
    for position, (code, force) in enumerate(load.forces.items()):
        for scheme in others:
            deployment = SchemeDeployment.objects.get(force=force, scheme=scheme.name)
            made += seed_scheme_cases(deployment, scheme, load.staff[code], position, now)
    return made


def grow(load: caseload.Load, cases: int, *, say: Any = print) -> dict[str, float]:
    """Clone closed template cases (and their finished task rows) over the 43 forces up to
    ``cases`` cases and ten task rows a case; returns the time of each phase."""
    phases: dict[str, float] = {}
    clones = cases - cloning.one("SELECT count(*) FROM cases_case")[0]
    if clones > 0:
        _run(_steps(load, clones, 0.0, cases, load.template_max_id), phases, "grow", say)
        load.counts = cloning.counts()
    return phases


def force_codes() -> list[str]:
    return [code for code, _, _, _ in caseload.FORCES]


def grow_access_log(rows: int, *, say: Any = print) -> float:
    """Add access-log rows in SQL up to ``rows`` in all, then move the chain head onto the last
    one; returns the seconds taken."""
    have = cloning.one("SELECT count(*) FROM audit_accesslog")[0]
    extra = rows - have
    if extra <= 0:
        return 0.0
    started = time.perf_counter()
    first = cloning.one("SELECT coalesce(max(id), 0) FROM audit_accesslog")[0] + 1
    codes = force_codes()
    batch = 5_000_000
    with transaction.atomic():
        cloning.execute("SET LOCAL synchronous_commit TO off")
        for low in range(first, first + extra, batch):
            high = min(low + batch, first + extra) - 1
            # hashes: the row number in hex padded with x (no hex digit): unique and cheap
            # (the bulk chain is not walked)
            cloning.execute("""
                INSERT INTO audit_accesslog (at, actor_id, actor_username, actor_roles,
                    force_code, operation, object_type, object_id, fields, justification,
                    recipients, request_id, client_address, prev_hash, hash)
                SELECT %(now)s - make_interval(secs => random() * %(span)s),
                       NULL,
                       lower(f.code) || '.user.' || ((g / %(forces)s) %% %(users)s),
                       'case_officer', f.code,
                       (ARRAY['consult','consult','consult','alter','collect','disclose'])
                           [1 + g %% 6],
                       'case',
                       f.code || '-2025-' || (100000 + (g / %(forces)s) %% %(refs)s),
                       '["parties"]'::jsonb, 'worked the case', '[]'::jsonb,
                       md5(g::text), '127.0.0.1',
                       lpad(to_hex(g - 1), 64, 'x'), lpad(to_hex(g), 64, 'x')
                FROM generate_series(%(low)s::bigint, %(high)s::bigint) g
                JOIN (SELECT code, ordinality - 1 AS n
                      FROM unnest(%(codes)s::text[]) WITH ORDINALITY code) f
                  ON f.n = g %% %(forces)s""",
                            {"now": timezone.now(), "span": LOG_YEARS * 365 * 86400,
                             "forces": len(codes), "users": USERS_PER_FORCE,
                             "refs": CASE_REFERENCES, "low": low, "high": high, "codes": codes})
            say(f"  access log rows {low:,}–{high:,}: {time.perf_counter() - started:.0f} s")
        cloning.execute("""UPDATE audit_chainhead SET last_hash = l.hash, count = l.n
            FROM (SELECT (SELECT hash FROM audit_accesslog ORDER BY id DESC LIMIT 1) AS hash,
                         (SELECT count(*) FROM audit_accesslog) AS n) l""")
    cloning.execute("VACUUM (ANALYZE) audit_accesslog")
    cloning.execute("CHECKPOINT")
    return time.perf_counter() - started


def checkpoint_at_head() -> None:
    """A signed checkpoint vouching for the chain as it stands (the bulk rows included)."""
    from webapp.audit import checkpoint_store
    from webapp.audit.models import AccessLog, ChainHead

    head = ChainHead.objects.get()
    last_id = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first()
    checkpoint_store.append(checkpoint_store.Checkpoint(
        at=timezone.now(), count=head.count, head=head.last_hash, last_id=last_id))


def append_entries(actor: Any, count: int) -> None:
    """``count`` real entries through the access log's own writer (chained one by one)."""
    from webapp.audit.log import record
    from webapp.audit.models import Operation

    for index in range(count):
        with transaction.atomic():  # one commit a page of work (the bench's, not the log's)
            record(actor=actor, operation=Operation.CONSULT, object_type="case",
                   object_id=f"HRT-2026-{index}", fields=["parties"],
                   justification="bench: appended after the checkpoint")
