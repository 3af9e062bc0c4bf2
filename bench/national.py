"""National scale on PostgreSQL: 43 forces, 1,000,000 cases, 10,000,000 task rows and
50,000,000 access-log rows, against the same pages at a tenth of the cases and a fiftieth of
the log, and against a floor page, in one run.

Builds a dedicated database (bench/national_load.py), measures the pages at ``--step`` cases,
grows the cases by cloning closed ones to ``--cases`` and measures again; grows the access log
to ``--access-step`` then ``--access-rows`` rows and measures the auditor's page and its
filters at both; times task completion and the access-log statements inside it, and
``audit_verify --since-checkpoint`` over N and 10N new rows.
Figures go to docs/benchmarks.md between the national markers.

    .venv/bin/python bench/national.py [--cases N] [--step N] [--access-rows N]
        [--access-step N] [--samples N] [--no-write] [--keep-db]
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TITLE = "National scale: 43 forces, cases and access log grown in SQL (bench/national.py)"
FLAT_MAX, LIST_FLOOR_MAX, DETAIL_FLOOR_MAX, LOG_SHARE_MAX = 1.2, 2.0, 3.0, 0.10
VERIFY_N = 200
LISTS = ("mine", "queue", "cases", "cases_all", "audit", "audit_user", "audit_case",
         "audit_dates", "audit_user_dates")
DETAILS = ("case", "search", "search_none")


def case_pages(load: Any, samples_n: int) -> dict[str, tuple[str, Any, list[str]]]:
    """The officer's pages: key -> (label, client, urls)."""
    from bench import pages

    officer = load.pools["HRT"]["case_officer"][0]
    supervisor = load.staff["HRT"]["decision_maker"]
    member = officer.membership
    refs = pages.work_refs(member, samples_n)
    client, boss = pages.client_for(officer), pages.client_for(supervisor)
    return {
        "floor": ("Floor: layout only `GET /bench/floor/`", client, ["/bench/floor/"]),
        "mine": ("My tasks `GET /my-tasks/`", client, ["/my-tasks/"]),
        "queue": ("Team queue `GET /queue/`", client, ["/queue/"]),
        "cases": ("Case list, case officer `GET /cases/`", client, ["/cases/"]),
        "cases_all": ("Case list, decision maker (whole force)", boss, ["/cases/"]),
        "search": ("Person search `GET /cases/?q=Hannah Walsh` (decision maker)", boss,
                   ["/cases/?q=Hannah+Walsh"]),
        "search_none": ("Person search, nobody of that name `?q=Okafor`", boss,
                        ["/cases/?q=Okafor"]),
        "case": ("Case page `GET /cases/<ref>/`", client,
                 [f"/cases/{r}/" for r in refs[:samples_n]]),
    }


def audit_pages(auditor: Any) -> dict[str, tuple[str, Any, list[str]]]:
    from bench import pages

    client = pages.client_for(auditor)
    year_ago = datetime.now(UTC).year - 1
    dates = f"from={year_ago}-03-01&to={year_ago}-03-31"
    user, case = "hrt.user.7", "HRT-2025-100007"
    return {
        "audit": ("Access log `GET /audit/`", client, ["/audit/"]),
        "audit_user": ("Access log by user", client, [f"/audit/?user={user}"]),
        "audit_case": ("Access log by case", client, [f"/audit/?case={case}"]),
        "audit_dates": ("Access log, a month a year ago", client, [f"/audit/?{dates}"]),
        "audit_user_dates": ("Access log by user and month", client,
                             [f"/audit/?user={user}&{dates}"]),
    }


def measure(specs: dict[str, tuple[str, Any, list[str]]], samples_n: int) -> dict[str, Any]:
    """p50/p95 of each page (the floor first and last, to see drift), its SQL and slow plans."""
    from bench import pages

    found: dict[str, Any] = {}
    for key, (label, client, urls) in specs.items():
        timing = pages.time_pages(client, (urls * samples_n)[:samples_n])
        sql = pages.queries(client, (urls * 10)[:10])
        slow = []
        for ms, text, params in sql.slow[:2]:
            best, plan = pages.explain_sql(text, params, runs=3)
            slow.append((ms, pages.short_sql(text), best, plan))
        found[key] = (label, timing, sql, slow)
    return found


class _LogClock:
    """An execute wrapper adding up the time of the access log's own statements."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if "audit_accesslog" in sql or "audit_chainhead" in sql:
                self.seconds += time.perf_counter() - began


def completion(load: Any, samples_n: int) -> dict[str, Any]:
    """task_complete on random assigned ready tasks of every force; the access-log statements'
    own time inside each call."""
    from django.db import connection

    from bench.caseload import form_of
    from webapp.cases import services
    from webapp.cases.demo import demo_schemes
    from webapp.cases.models import HumanTask, TaskState

    answers = {scheme.name: scheme.samples for scheme in demo_schemes()}  # each scheme's own
    users = {u.pk: u for by_role in load.pools.values() for pool in by_role.values()
             for u in pool}
    todo = list(HumanTask.objects.filter(state=TaskState.READY, assignee_id__in=list(users))
                .order_by("?").values_list("pk", "assignee_id", "form_file", "case__scheme")
                [:samples_n + 5])
    totals, logs = [], []
    for task_id, assignee_id, form_file, scheme in todo:
        clock = _LogClock()
        began = time.perf_counter()
        with connection.execute_wrapper(clock):
            services.task_complete(user=users[assignee_id], task_id=task_id,
                                   data=answers[scheme][form_of(form_file)])
        totals.append((time.perf_counter() - began) * 1000)
        logs.append(clock.seconds * 1000)
    from bench import pages

    pairs = list(zip(totals, logs, strict=True))[5:]  # the first calls warm the caches
    timing = pages.percentiles([t for t, _ in pairs])
    without = pages.percentiles([t - w for t, w in pairs])
    log_ms = pages.percentiles([w for _, w in pairs])
    return {"timing": timing, "without": without, "log": log_ms,
            "adds": log_ms.p50 / without.p50}


def verify_cost(auditor: Any) -> dict[str, float]:
    """`audit_verify --since-checkpoint` after N, then 10N new rows (a checkpoint between)."""
    from django.core.management import call_command

    from bench import national_load
    from webapp.audit.verification import checkpoint_take

    national_load.checkpoint_at_head()
    result = {}
    for rows in (VERIFY_N, 10 * VERIFY_N):
        national_load.append_entries(auditor, rows)
        began = time.perf_counter()
        call_command("audit_verify", "--since-checkpoint", stdout=open(os.devnull, "w"))  # noqa: SIM115
        result[rows] = (time.perf_counter() - began) * 1000
        checkpoint_take(source="bench")
    return result


def auditor_of(load: Any) -> Any:
    from bench.caseload import officers
    from webapp.forces.models import Team

    force = load.forces["HRT"]
    return officers(force, Team.objects.get(force=force), "auditor", ["hrt.auditor"])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--step", type=int, default=100_000, help="cases at the first step")
    parser.add_argument("--access-rows", type=int, default=50_000_000)
    parser.add_argument("--access-step", type=int, default=1_000_000)
    parser.add_argument("--templates", type=int, default=14, help="template cases per force")
    parser.add_argument("--samples", type=int, default=100, help="requests per figure")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="disclosure_national")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    began = time.perf_counter()
    os.environ["AUDIT_CHECKPOINT_DIR"] = tempfile.mkdtemp(prefix="national-checkpoints-")
    os.environ["AUDIT_CHECKPOINT_KEY"] = secrets.token_hex(32)  # this run's checkpoints only
    os.environ["DJANGO_SETTINGS_MODULE"] = "webapp.settings"
    os.environ["DB_STATEMENT_TIMEOUT"] = "0"  # the bulk INSERT … SELECT statements run minutes
    from bench.inbox import recreate_database, start_django

    print(f"Creating database {args.db}…")
    recreate_database(args.server, args.db)
    try:
        start_django(f"{args.server}/{args.db}")
        from django.conf import settings
        from django.db import connections

        from bench import national_load
        from bench.national_report import report
        from bench.report import write_section

        settings.ROOT_URLCONF = "bench.floor_urls"
        run: dict[str, Any] = {"args": args, "loadavg": {}, "phases": {}, "steps": {}}
        load = national_load.build(args.step, templates_per_force=args.templates)
        run["phases"].update(load.phases)
        auditor = auditor_of(load)
        for size, grow in (("small", None), ("large", args.cases)):
            if grow:
                print(f"Growing to {grow:,} cases…")
                run["phases"].update(national_load.grow(load, grow))
            run["loadavg"][size] = os.getloadavg()[0]
            print(f"Measuring pages at {load.counts['cases']:,} cases…")
            pages_found = measure(case_pages(load, args.samples), args.samples)
            pages_found["floor_after"] = measure(
                {"floor": case_pages(load, 1)["floor"]}, args.samples)["floor"]
            run["steps"][size] = {"counts": dict(load.counts), "pages": pages_found,
                                  "complete": completion(load, args.samples)}
        for size, rows in (("log_small", args.access_step), ("log_large", args.access_rows)):
            run["phases"][f"access log to {rows:,} rows"] = national_load.grow_access_log(rows)
            run["loadavg"][size] = os.getloadavg()[0]
            print(f"Measuring the access log at {rows:,} rows…")
            specs = audit_pages(auditor)
            specs["floor"] = case_pages(load, 1)["floor"]
            run["steps"][size] = {"rows": rows, "pages": measure(specs, args.samples),
                                  "verify": verify_cost(auditor)}
        run["loadavg"]["end"] = os.getloadavg()[0]
        from bench.cloning import one

        run["bytes"] = one("SELECT pg_database_size(current_database())")[0]
        run["runtime"] = time.perf_counter() - began
        run["machine"] = (f"{platform.machine()}, {os.cpu_count()} cores, Python "
                          f"{platform.python_version()}")
        with open(Path(tempfile.gettempdir()) / f"{args.db}.pickle", "wb") as kept:
            pickle.dump(run, kept)  # the figures, should the report fail
        lines = report(run)
        print("\n".join(lines))
        if not args.no_write:
            write_section("national", TITLE, lines)
        connections.close_all()
    finally:
        if not args.keep_db:
            recreate_database(args.server, args.db, drop_only=True)


if __name__ == "__main__":
    main()
