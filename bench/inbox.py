"""Inbox benchmark on PostgreSQL: 100,000 cases and 1,000,000 task rows.

Loads a dedicated database (created and dropped here) with cases made through the services and
cloned in SQL (bench/caseload.py), then measures the server time of 'My tasks', 'Team queue'
and a case page through Django's test client, the SQL statements and workflow loads per page
(a list page must issue a fixed number of statements and load no workflow), the latency of
`case_start`, `task_claim` and `task_complete`, and whole case lifecycles through the services
in one and two processes against raw SpiffWorkflow measured in the same run
(bench/lifecycle.py).
Figures go to docs/benchmarks.md between the inbox markers.

    .venv/bin/python bench/inbox.py [--cases N] [--no-write] [--keep-db]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TITLE = "Inbox on PostgreSQL: 100,000 cases, 1,000,000 tasks (bench/inbox.py)"
MAIN_COUNTS = {"cases", "open cases", "human tasks", "ready tasks", "unassigned ready tasks",
               "database bytes"}
EXECUTING_MS = 0.25  # a statement this slow inside PostgreSQL gets its plan in the report
LIST_P95_MS, COMPLETE_P95_MS, R1_MIN, R2_MIN = 10.0, 12.0, 0.12, 0.15


def recreate_database(server: str, name: str, *, drop_only: bool = False) -> None:
    """Drop (and create) the benchmark database through the server's maintenance database."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def start_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "False"  # DEBUG keeps every query in memory
    os.environ["LOG_LEVEL"] = "WARNING"  # one INFO line per service call is not what is measured
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic
    import django
    from django.core.management import call_command

    django.setup()
    from django.urls import get_resolver

    assert get_resolver().url_patterns  # import every view now, not after minutes of loading
    call_command("migrate", verbosity=0)


def light_officer(load: Any) -> Any:
    """A case officer in a force of two cases: one task assigned to them, one in the queue.

    Comparing their pages (one row each) with the full ones (fifty rows) shows whether the
    number of SQL statements grows with the rows shown.
    """
    from bench.caseload import enquiry, officers, samples
    from webapp.cases import services
    from webapp.cases.models import HumanTask
    from webapp.forces.models import Force, SchemeDeployment, Team

    hrt = load.forces["HRT"]
    force = Force.objects.create(code="LGT", name="Light")
    for deployment in SchemeDeployment.objects.filter(force=hrt):
        deployment.pk, deployment.force = None, force
        deployment.save()
    team = Team.objects.create(force=force, name="Public Protection Unit")
    handler = officers(force, team, "contact_handler", ["lgt.contact_handler"])[0]
    officer = officers(force, team, "case_officer", ["lgt.case_officer"])[0]
    first = services.case_start(user=handler, data=enquiry(samples()["enquiry"], 1))
    services.case_start(user=handler, data=enquiry(samples()["enquiry"], 2))
    services.task_claim(user=officer, task_id=HumanTask.objects.get(case=first).pk)
    return officer


def rare_lanes_officer(load: Any) -> Any:
    """A decision maker who is also a disclosure officer: two lanes, both rarer than casework."""
    from bench.caseload import officers
    from webapp.forces.models import Team

    force = load.forces["HRT"]
    user = officers(force, Team.objects.get(force=force), "decision_maker",
                    ["hrt.decision_and_disclosure"])[0]
    user.membership.roles = ["decision_maker", "disclosure_officer"]
    user.membership.save(update_fields=["roles"])
    return user


def measure_pages(load: Any, samples_n: int) -> dict[str, Any]:
    """Time each page, capture its SQL, and EXPLAIN the list queries."""
    from bench import pages
    from webapp.cases import selectors
    from webapp.cases.worklist import WorkQuery

    heavy = load.pools["HRT"]["case_officer"][0]
    light, rare = light_officer(load), rare_lanes_officer(load)
    heavy_m, rare_m = heavy.membership, rare.membership
    # Case pages as opened from the inbox (need-to-know: cases the officer works or may claim).
    refs = [t.case.reference for t in selectors.my_tasks(heavy_m)]
    refs += [t.case.reference for t in selectors.queue(heavy_m)[:samples_n]]
    random.Random(7).shuffle(refs)
    refs = refs[:samples_n]
    client, light_client, rare_client = (pages.client_for(u) for u in (heavy, light, rare))
    specs = [  # key, label, client, urls, target p95 (ms) or None
        ("mine", "My tasks `GET /my-tasks/`", client, ["/my-tasks/"], LIST_P95_MS),
        ("queue", "Team queue `GET /queue/`", client, ["/queue/"], LIST_P95_MS),
        ("case", "Case page `GET /cases/<ref>/`, cases in the officer's inbox", client,
         [f"/cases/{r}/" for r in refs], None),
        ("rare", "Team queue, officer with two rare lanes", rare_client, ["/queue/"], None),
        ("queue_due", "Team queue sorted by due `?sort=due`, `?sort=-due`", client,
         ["/queue/?sort=due", "/queue/?sort=-due"], None),
        ("queue_filtered", "Team queue filtered `?due=week&risk=yes`, `?due=overdue&page=5`",
         client, ["/queue/?due=week&risk=yes", "/queue/?due=overdue&page=5"], None),
        ("rare_due", "Team queue, two rare lanes, `?sort=-due`", rare_client,
         ["/queue/?sort=-due"], None),
        ("mine_sorted", "My tasks `?sort=due&due=week`", client, ["/my-tasks/?sort=due&due=week"],
         None),
        ("cases", "Case list `GET /cases/`", client, ["/cases/"], None),
    ]
    rows = []
    for key, label, who, urls, target in specs:
        timing = pages.time_pages(who, (urls * samples_n)[:samples_n])
        rows.append((key, label, timing, pages.queries(who, (urls * 20)[:20]), target))
    slow: dict[str, list[tuple[float, str, float, list[str]]]] = {}
    for _, label, _, sql, _ in rows:
        for ms, text, params in sql.slow[:3]:
            best, plan = pages.explain_sql(text, params)
            if best >= EXECUTING_MS or ms >= 2 * pages.SLOW_MS:  # not just a round trip
                slow.setdefault(label, []).append((ms, pages.short_sql(text), best, plan))
    page = selectors.PAGE
    return {
        "user": heavy.username, "rows": rows, "slow": slow,
        "light": {"mine": pages.queries(light_client, ["/my-tasks/"] * 5),
                  "queue": pages.queries(light_client, ["/queue/"] * 5)},
        "sizes": {"mine": selectors.my_tasks(heavy_m).count(),
                  "queue": selectors.queue(heavy_m).count(),
                  "rare": selectors.queue(rare_m).count()},
        "explain": {
            "My tasks": pages.explain(selectors.my_tasks(heavy_m)[:page]),
            "Team queue (case officer)": pages.explain(selectors.queue(heavy_m)[:page]),
            "Team queue (decision maker + disclosure officer), one scan per lane":
                pages.explain(selectors.queue_page_ids(rare_m)),
            "Team queue sorted by due (case officer)":
                pages.explain(selectors.queue(heavy_m, query=WorkQuery(sort="due"))[:page]),
            "Team queue latest due first, two rare lanes, one scan per lane":
                pages.explain(selectors.queue_page_ids(rare_m, query=WorkQuery(sort="-due"))),
        },
        "reconnect": pages.reconnect_ms(),
    }


def measure_services(load: Any, samples_n: int) -> dict[str, Any]:
    """Latency of the verbs officers use most, then their SQL on separate calls."""
    from bench import pages
    from bench.caseload import enquiry, form_of, samples
    from webapp.cases import services
    from webapp.cases.models import HumanTask, TaskState

    answers = samples()
    handler = load.staff["HRT"]["contact_handler"]
    index = iter(range(10**6))
    users = {u.pk: u for pool in load.pools["HRT"].values() for u in pool}
    sql_calls = 20
    ready = (HumanTask.objects.filter(force=load.forces["HRT"], state=TaskState.READY,
                                      case_id__gt=load.template_max_id)
             .order_by("?").values_list("pk", "role", "assignee_id", "form_file"))
    unassigned = iter(ready.filter(assignee__isnull=True)[:samples_n + sql_calls + 10])
    todo = iter(ready.exclude(assignee__isnull=True)[:samples_n + sql_calls + 10])

    def worker(role: str, assignee_id: int | None) -> Any:
        return users.get(assignee_id) or load.pools["HRT"][role][0]

    def start() -> None:
        services.case_start(user=handler, data=enquiry(answers["enquiry"], next(index)))

    def claim() -> None:
        task_id, role, _, _ = next(unassigned)
        services.task_claim(user=worker(role, None), task_id=task_id)

    def complete() -> None:
        task_id, role, assignee_id, form_file = next(todo)
        services.task_complete(user=worker(role, assignee_id), task_id=task_id,
                               data=answers[form_of(form_file)])

    verbs = {"start": start, "claim": claim, "complete": complete}
    timings = {key: pages.time_calls(call, samples_n) for key, call in verbs.items()}
    return {key: (timings[key], pages.call_sql(call, sql_calls)) for key, call in verbs.items()}


def server_version() -> str:
    from django.db import connection

    number = connection.pg_version
    return f"{number // 10000}.{number % 10000}"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


def report(args: argparse.Namespace, load: Any, page: dict[str, Any], svc: dict[str, Any], *,
           rates: Any, runtime: float) -> list[str]:
    from bench import pages

    c, sizes = load.counts, page["sizes"]
    by_key = {key: (timing, sql) for key, _, timing, sql, _ in page["rows"]}
    flat = all(by_key[k][1].statements == page["light"][k].statements for k in page["light"])
    list_ok = all(timing.p95 <= target for _, _, timing, _, target in page["rows"] if target)
    complete_ok = svc["complete"][0].p95 <= COMPLETE_P95_MS

    def row(label: str, t: Any, sql: Any, target: float | None, *, lists: bool = True) -> str:
        goal = f"p95 ≤ {target:.0f} ms: {verdict(t.p95 <= target)}" if target else "–"
        shown = f" ({sql.rows} rows)" if lists else ""
        render = f"{sql.render_ms:.1f}" if lists or sql.render_ms else "–"
        return (f"| {label} | {t.p50:.1f} | {t.p95:.1f} | {sql.statements}{shown} | "
                f"{sql.ms:.2f} | {render} | {sql.loads:g} | {goal} |")

    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL "
        f"{server_version()}; whole run {runtime / 60:.1f} min; 1-minute load average "
        f"{load.loadavg[0]:.1f} before the measurements, {load.loadavg[1]:.1f} after.",
        "",
        f"Load: **{c['cases']:,} cases** ({c['open cases']:,} open), **{c['human tasks']:,} "
        f"task rows** ({c['ready tasks']:,} ready, {c['unassigned ready tasks']:,} of them "
        "unassigned), "
        + ", ".join(f"{n:,} {k}" for k, n in c.items() if k not in MAIN_COUNTS)
        + f"; {c['database bytes'] / 2**30:.1f} GiB. {2 * args.templates:,} cases were made "
        "through the services with the sample form data, the rest cloned from them in SQL "
        f"(times shifted); loaded in {sum(load.phases.values()):.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in load.phases.items() if v >= 0.5) + ").",
        "",
        f"Pages as `{page['user']}`, a case officer with {sizes['mine']:,} assigned ready "
        f"tasks and {sizes['queue']:,} in the team queue ({sizes['rare']:,} in the queue of the "
        f"officer with two rare lanes); {args.samples} requests each through Django's test "
        "client (whole middleware and template stack, database connection kept open). The "
        "other columns are medians over separate calls: SQL statements per request or call and "
        "their time, template rendering (with any SQL it triggers), workflow deserializations.",
        "",
        "| Measure | p50 ms | p95 ms | SQL statements | SQL ms | template ms | workflow loads "
        "| target |",
        "|---|---|---|---|---|---|---|---|",
        *[row(label, timing, sql, target, lists=key != "case")
          for key, label, timing, sql, target in page["rows"]],
        row("`services.case_start`", *svc["start"], None, lists=False),
        row("`services.task_claim`, random unassigned tasks", *svc["claim"], None,
            lists=False),
        row("`services.task_complete`, random assigned tasks", *svc["complete"],
            COMPLETE_P95_MS, lists=False),
        "",
        f"List pages p95 ≤ {LIST_P95_MS:.0f} ms: {verdict(list_ok)}. Task completion p95 ≤ "
        f"{COMPLETE_P95_MS:.0f} ms: {verdict(complete_ok)}. No list page loads a workflow, and "
        f"their SQL does not grow with the rows shown: {verdict(flat)} ("
        + "; ".join(f"{k}: {page['light'][k].statements} statements for "
                    f"{page['light'][k].rows} row, {by_key[k][1].statements} for "
                    f"{by_key[k][1].rows}" for k in page["light"]) + ").",
        "",
        "Whole case lifecycles on the disclosure path (start, then read / claim / complete each "
        f"task to the end), medians of {args.rounds} alternating rounds:",
        "",
        "| Path | cases/s | ratio to raw | target |",
        "|---|---|---|---|",
        f"| Raw SpiffWorkflow, in memory, one process | {rates.raw:.1f} | 1.00 | – |",
        f"| Services on PostgreSQL, 1 process | {rates.one:.1f} | {rates.r1:.3f} | "
        f"≥ {R1_MIN}: {verdict(rates.r1 >= R1_MIN)} |",
        f"| Services on PostgreSQL, 2 processes | {rates.two:.1f} | {rates.r2:.3f} | "
        f"≥ {R2_MIN}: {verdict(rates.r2 >= R2_MIN)} |",
        "",
        f"One lifecycle issues {svc['lifecycle'].statements} SQL statements taking "
        f"{svc['lifecycle'].ms:.0f} ms, plus a COMMIT for each of its {svc['calls']} service "
        "calls, and loads the "
        f"workflow {svc['lifecycle'].loads:g} times. "
        "Rounds (raw / 1 process / 2 processes): "
        + ", ".join(f"{a:.0f}/{b:.1f}/{d:.1f}" for a, b, d in rates.rounds),
        "",
        "List queries, `EXPLAIN (ANALYZE, BUFFERS)`, best of 5:",
        "",
    ]
    for name, (ms, plan) in page["explain"].items():
        lines += [f"- {name}: {ms:.2f} ms", *[f"  {line}" for line in plan]]
    lines += ["", f"Statements taking ≥ {pages.SLOW_MS} ms (median) in a page request, and "
              "their plans:", ""]
    for label, found in page["slow"].items():
        for ms, text, best, plan in found:
            lines += [f"- {label}: {ms:.2f} ms in the request, {best:.2f} ms executing: "
                      f"`{text}`", *[f"  {line}" for line in plan]]
    if not page["slow"]:
        lines.append("- none")
    lines += [
        "",
        f"Not in the figures: a new database connection and its first query cost "
        f"{page['reconnect'].p50:.1f} ms p50 / {page['reconnect'].p95:.1f} ms p95, which a "
        "server would pay on every request with `CONN_MAX_AGE=0` (the settings keep connections "
        "for 60 s by default).",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000, help="cases to load")
    parser.add_argument("--templates", type=int, default=100,
                        help="cases per force made through the services before cloning")
    parser.add_argument("--samples", type=int, default=200, help="requests or calls per figure")
    parser.add_argument("--rounds", type=int, default=3, help="lifecycle rounds")
    parser.add_argument("--lifecycles", type=int, default=40, help="service cases per round")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="disclosure_bench")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for a look")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args()
    if args.cases < 2 * args.templates + 500:
        parser.error(f"--cases must be at least {2 * args.templates + 500} (templates + clones)")
    began = time.perf_counter()

    print(f"Creating database {args.db} and loading {args.cases:,} cases…")
    recreate_database(args.server, args.db)
    try:
        start_django(f"{args.server}/{args.db}")
        from django.db import connections

        from bench import caseload, lifecycle, pages
        from bench.report import write_section

        load = caseload.build(args.cases, templates_per_force=args.templates)
        load.loadavg = [os.getloadavg()[0]]
        print("Measuring pages…")
        page = measure_pages(load, args.samples)
        print("Measuring services…")
        svc = measure_services(load, args.samples)
        print("Measuring lifecycles…")
        rates = lifecycle.measure(load.staff["HRT"], rounds=args.rounds,
                                  raw_cases=3 * args.lifecycles,
                                  service_cases=args.lifecycles)
        svc["lifecycle"] = pages.call_sql(
            lambda: lifecycle.services_case(load.staff["HRT"], caseload.samples()), 3)
        svc["calls"] = lifecycle.services_case(load.staff["HRT"], caseload.samples())
        load.loadavg.append(os.getloadavg()[0])
        lines = report(args, load, page, svc, rates=rates,
                       runtime=time.perf_counter() - began)
        print("\n".join(lines))
        if not args.no_write:
            write_section("inbox", TITLE, lines)
        connections.close_all()
    finally:
        if not args.keep_db:
            recreate_database(args.server, args.db, drop_only=True)


if __name__ == "__main__":
    main()
