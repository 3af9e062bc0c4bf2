"""Migration dry-run benchmark: verdicts for 10,000 live cases of a force (target ≤ 60 s).

Real cases are made at several stages through the services, then cloned (same stored state)
to N live cases on PostgreSQL; the dry run is the service the studio page calls. Figures go to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "disclosure_bench_migration"
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

import django  # noqa: E402
import psycopg  # noqa: E402

STAGES = [  # (task to stop at, tasks completed before it)
    ("ut_initial_checks", []),
    ("ut_verification_interview", ["ut_initial_checks"]),
    ("ut_risk_assessment", ["ut_initial_checks", "ut_verification_interview",
                            "ut_police_checks", "ut_intelligence_checks", "ut_partner_checks"]),
    ("ut_plan_disclosure", ["ut_initial_checks", "ut_verification_interview",
                            "ut_police_checks", "ut_intelligence_checks", "ut_partner_checks",
                            "ut_risk_assessment", "ut_decision"]),
]
FORMS = {"ut_initial_checks": "initial_checks", "ut_verification_interview":
         "verification_interview", "ut_police_checks": "police_checks",
         "ut_intelligence_checks": "intelligence_checks", "ut_partner_checks": "partner_checks",
         "ut_risk_assessment": "risk_assessment", "ut_decision": "decision"}


def _database(create: bool) -> None:
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        if create:
            c.execute(f'CREATE DATABASE "{DB}"')


def _setup(n: int):  # noqa: ANN202 - (policy lead, target version) after django.setup()
    from tests import factories
    from tests.engine.test_diff import with_second_opinion
    from webapp.cases import services as cases
    from webapp.cases.models import Case, HumanTask
    from webapp.processes import services

    v1 = factories.version("csods", factories.CSODS)
    hrt = factories.force(process=v1)
    people = {r: factories.officer(r, hrt, r) for r in
              ("contact_handler", "case_officer", "decision_maker", "policy_lead")}
    templates = []
    for _stop, done in STAGES:
        case = cases.case_start(user=people["contact_handler"], data=factories.sample("enquiry"))
        for bpmn_id in done:
            task = HumanTask.objects.get(case=case, bpmn_id=bpmn_id, state="ready")
            cases.task_complete(user=people[task.role], task_id=task.pk,
                                data=factories.sample(FORMS[bpmn_id]))
        templates.append(Case.objects.get(pk=case.pk))
    clones = [Case(force_id=t.force_id, reference=f"MIG-{i:07d}", status="open", stage=t.stage,
                   scheme=t.scheme,
                   version_id=t.version_id, state=bytes(t.state), opened_at=t.opened_at,
                   opened_by_id=t.opened_by_id)
              for i, t in zip(range(n - len(templates)),
                              (templates[i % len(templates)] for i in range(n)), strict=False)]
    Case.objects.bulk_create(clones, batch_size=2000)
    files = {name: text.encode() for name, text in v1.files.items()}
    draft = services.draft_create(user=people["policy_lead"], version_id=v1.pk)
    draft = services.draft_save(user=people["policy_lead"], draft_id=draft.pk, files={
        "csods.bpmn": with_second_opinion(files)["csods.bpmn"].decode()})
    target = services.version_publish(user=people["policy_lead"], draft_id=draft.pk,
                                      note="Second opinion")
    return people["policy_lead"], target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    _database(create=True)
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bench.report import write_section
    from webapp.cases.case_migration import migration_dry_run
    from webapp.processes.registry import _by_version

    call_command("migrate", verbosity=0)
    lead, target = _setup(args.cases)
    _by_version.clear()  # measure from cold definition caches, as a fresh worker would
    began = time.perf_counter()
    result = migration_dry_run(user=lead, version_id=target.pk)
    elapsed = time.perf_counter() - began
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on PostgreSQL 15: the studio's dry "
        f"run of {len(result.verdicts):,} live CSODS cases (cloned from real cases at four "
        "stages) against a version that adds a task after the decision.",
        "",
        "| Cases | Movable | Not movable | Time | Per case | Target |",
        "|---|---|---|---|---|---|",
        f"| {len(result.verdicts):,} | {result.movable:,} | {result.unmovable:,} | "
        f"**{elapsed:.1f} s** | {1000 * elapsed / max(1, len(result.verdicts)):.2f} ms | "
        f"≤ 60 s: {'met' if elapsed <= 60 else 'NOT met'} |",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("migration", "Migration dry run (bench/migration.py)", lines)
    connections.close_all()
    _database(create=False)


if __name__ == "__main__":
    main()
