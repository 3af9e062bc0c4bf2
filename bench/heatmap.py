"""Heatmap benchmark on PostgreSQL: the per-element figures over 100,000 cases.

Loads the inbox benchmark's case load (bench/caseload.py: real template cases made through the
services, cloned in SQL) into its own database, spreads the finished tasks' durations over
hours to days and marks one clock in six breached at a moment inside one of its case's tasks,
then times the heatmap's figures (``webapp.reports.heatmap.element_figures``) for one force and
for all forces against a baseline in the same run: the dashboard's "Breaches per month" figure,
one aggregate over the same force's clock rows. The figures go to docs/benchmarks.md; the
database is dropped unless ``--keep-db``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inbox import recreate_database, start_django  # noqa: E402

DB = "disclosure_bench_h_heatmap"
TITLE = "Heatmap on PostgreSQL: 100,000 cases (bench/heatmap.py)"


def shape_load() -> dict[str, int]:
    """Finished tasks take from an hour to ten days; one clock in six breached while its case
    was at one of its tasks (its due time moved to the middle of that task)."""
    from bench import cloning

    spread = cloning.execute("""UPDATE cases_humantask SET created_at = completed_at
        - make_interval(secs => 3600 + (hashtext(id::text) & 1048575)::float8 / 1048575 * 864000)
        WHERE completed_at IS NOT NULL""")
    breached = cloning.execute("""UPDATE clocks_caseclock k SET state = 'breached',
            due_at = t.created_at + (coalesce(t.completed_at, t.created_at + interval '2 days')
                                     - t.created_at) / 2
        FROM (SELECT DISTINCT ON (case_id) case_id, created_at, completed_at
              FROM cases_humantask ORDER BY case_id, id DESC) t
        WHERE t.case_id = k.case_id AND k.id % 6 = 0""")
    cloning.settle()
    return {"finished tasks spread": spread, "clocks breached": breached}


def timed(call: Any, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def measure(samples: int) -> dict[str, Any]:
    from django.utils import timezone

    from webapp.cases.element_rows import ElementScope
    from webapp.cases.models import Case
    from webapp.clocks.periods import Period
    from webapp.forces.models import Force
    from webapp.reports.heatmap import element_figures
    from webapp.reports.selectors import breaches_per_month

    force = Force.objects.get(code="HRT")
    version_id = Case.objects.filter(force=force).values_list("version_id", flat=True).first()
    now = timezone.now()
    today = timezone.localdate(now)
    year = Period(today - timedelta(days=365), today)
    one = ElementScope(force_ids=(force.pk,), version_id=version_id, period=year)
    every = ElementScope(force_ids=None, version_id=version_id, period=year)
    element_figures(one, now)  # warm: the plan cache and the buffers, as on a live server
    return {
        "baseline": timed(lambda: breaches_per_month(force, now), samples),
        "one force": timed(lambda: element_figures(one, now), samples),
        "all forces": timed(lambda: element_figures(every, now), samples),
        "elements": len(element_figures(one, now)),
    }


def report(counts: dict[str, int], shaped: dict[str, int], figures: dict[str, Any]) -> list[str]:
    base = statistics.median(figures["baseline"])

    def row(label: str, key: str) -> str:
        p50 = statistics.median(figures[key])
        return f"| {label} | {p50:.1f} ms | {p50 / base:.1f}× |"

    return [
        f"{counts['cases']:,} cases, {counts['human tasks']:,} task rows, "
        f"{shaped['clocks breached']:,} clocks breached; medians of "
        f"{len(figures['baseline'])} runs each, on this 2-core machine shared with other work.",
        "",
        "| What | Median | Against the baseline |",
        "|---|---|---|",
        row("Baseline: the dashboard's 'Breaches per month' (one force)", "baseline"),
        row(f"Heatmap figures, one force, one version, 12 months "
            f"({figures['elements']} elements)", "one force"),
        row("Heatmap figures, all forces (national), one version, 12 months", "all forces"),
        "",
        "Every figure of the page is two statements (times counted per step and minute, "
        "percentiles from running counts; breaches placed at the task open when the limit "
        "passed), never a workflow load; indexes in the heatmap_indexes migrations "
        "(cases 0014, clocks 0005).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--templates", type=int, default=100)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for a look")
    parser.add_argument("--reuse-db", action="store_true",
                        help="measure a database an earlier --keep-db run left")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args()
    if not args.reuse_db:
        recreate_database(args.server, DB)
    try:
        start_django(f"{args.server}/{DB}")
        from bench import caseload, cloning
        from bench.report import write_section

        if args.reuse_db:
            counts, shaped = cloning.counts(), {"clocks breached": cloning.one(
                "SELECT count(*) FROM clocks_caseclock WHERE state = 'breached'")[0]}
        else:
            load = caseload.build(args.cases, templates_per_force=args.templates)
            shaped = shape_load()
            counts = load.counts
        lines = report(counts, shaped, measure(args.samples))
        print("\n".join(lines))
        if not args.no_write:
            write_section("heatmap", TITLE, lines)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            recreate_database(args.server, DB, drop_only=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    main()
