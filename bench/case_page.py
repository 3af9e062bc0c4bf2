"""The case page, the lists and person search against the floor page, on a kept national database.

For working on issue 17's "close to the framework's floor" targets without rebuilding the data:
build once with ``bench/national.py … --db NAME --keep-db --no-write``, then run this as often
as needed. Pages are measured in alternating rounds (floor, pages, floor, …) so that the
machine's drift falls on the floor and the pages alike; the ratio is each page's p95 over the
floor's p95 of all rounds. ``--profile`` prints a cProfile of one case page request instead;
``--cpu N`` the web code's CPU per request (``time.thread_time()``, median of N) and the
statements of each page, which the machine's load skews far less than its wall-clock.

    .venv/bin/python bench/case_page.py --db NAME [--rounds N] [--samples N] [--profile KEY]
    .venv/bin/python bench/case_page.py --db NAME --cpu 100 [--only case,case_dm]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OFFICER, BOSS = "hrt.case_officer.001", "hrt.decision_maker"


def specs(samples_n: int) -> dict[str, tuple[str, Any, list[str]]]:
    """The pages bench/national.py measures for these targets, as the same users."""
    from django.contrib.auth import get_user_model

    from bench import pages

    users = get_user_model().objects.select_related("membership__force")
    officer, boss = users.get(username=OFFICER), users.get(username=BOSS)
    member = officer.membership
    refs = pages.work_refs(member, samples_n)
    client, chief = pages.client_for(officer), pages.client_for(boss)
    return {
        "floor": ("Floor `GET /bench/floor/`", client, ["/bench/floor/"]),
        "case": ("Case page, case officer", client, [f"/cases/{r}/" for r in refs[:samples_n]]),
        "case_dm": ("Case page, decision maker", chief,
                    [f"/cases/{r}/" for r in refs[:samples_n]]),
        "mine": ("My tasks `GET /my-tasks/`", client, ["/my-tasks/"]),
        "queue": ("Team queue `GET /queue/`", client, ["/queue/"]),
        "cases": ("Case list, case officer", client, ["/cases/"]),
        "cases_all": ("Case list, decision maker", chief, ["/cases/"]),
        "search": ("Person search `?q=Hannah Walsh` (decision maker)", chief,
                   ["/cases/?q=Hannah+Walsh"]),
        "search_found": ("Person search `?q=Hannah Reed` (decision maker; a handful found)",
                         chief, ["/cases/?q=Hannah+Reed"]),
        "search_none": ("Person search, nobody of that name `?q=Okafor`", chief,
                        ["/cases/?q=Okafor"]),
    }


def measure(found: dict[str, tuple[str, Any, list[str]]], rounds: int, samples_n: int) -> None:
    import time

    from bench import pages

    spent: dict[str, list[float]] = {key: [] for key in found}
    cpu: dict[str, list[float]] = {key: [] for key in found}
    before = os.getloadavg()[0]
    for _ in range(rounds):
        for key, (_, client, urls) in found.items():
            for url in urls[:3]:
                pages.get_ok(client, url)
            for url in (urls * samples_n)[:samples_n]:
                began, began_cpu = time.perf_counter(), time.thread_time()
                pages.get_ok(client, url)
                spent[key].append((time.perf_counter() - began) * 1000)
                cpu[key].append((time.thread_time() - began_cpu) * 1000)
    floor = pages.percentiles(spent["floor"])
    print(f"load average (1 min) {before:.1f} before, {os.getloadavg()[0]:.1f} after; "
          f"{rounds} rounds of {samples_n} requests a page")
    print("| Page | p50 / p95 ms | this thread's CPU ms (p50) | SQL statements | render ms "
          "| workflow loads | p50 ÷ floor | p95 ÷ floor |")
    print("|---|---|---|---|---|---|---|---|")
    for key, (label, client, urls) in found.items():
        timing = pages.percentiles(spent[key])
        sql = pages.queries(client, (urls * 10)[:10])
        print(f"| {label} | {timing.p50:.1f} / {timing.p95:.1f} | "
              f"{statistics.median(cpu[key]):.1f} | {sql.statements} | "
              f"{sql.render_ms:.1f} | {sql.loads:.1f} | {timing.p50 / floor.p50:.1f} | "
              f"{timing.p95 / floor.p95:.1f} |")
        for ms, text, _ in sql.slow[:4]:
            print(f"  slow {ms:.2f} ms: {pages.short_sql(text)}")


def cpu(found: dict[str, tuple[str, Any, list[str]]], times: int) -> None:
    """The web code's CPU per request (``time.thread_time()`` around ``client.get``, median of
    ``times`` requests a page, the pages in turn) and its SQL statements: what the machine's
    load does not skew (PostgreSQL's own work is another process)."""
    import time

    from bench import pages

    spent: dict[str, list[float]] = {key: [] for key in found}
    for _, client, urls in found.values():
        for url in urls[:3]:
            pages.get_ok(client, url)
    for n in range(times):
        for key, (_, client, urls) in found.items():
            url = urls[n % len(urls)]
            began = time.thread_time()
            pages.get_ok(client, url)
            spent[key].append((time.thread_time() - began) * 1000)
    print(f"load average (1 min) {os.getloadavg()[0]:.1f}; median of {times} requests a page")
    print("| Page | CPU ms (median) | CPU ÷ floor | SQL statements | workflow loads |")
    print("|---|---|---|---|---|")
    floor = statistics.median(spent["floor"])
    for key, (label, client, urls) in found.items():
        sql = pages.queries(client, (urls * 10)[:10])
        median = statistics.median(spent[key])
        print(f"| {label} | {median:.2f} | {median / floor:.2f} | {sql.statements} | "
              f"{sql.loads:.1f} |")


def profile(found: dict[str, tuple[str, Any, list[str]]], key: str, sql: bool) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import pages

    _, client, urls = found[key]
    for url in urls[:5]:
        pages.get_ok(client, url)
    profiler = cProfile.Profile()
    profiler.enable()
    for url in urls[:10]:
        pages.get_ok(client, url)
    profiler.disable()
    with CaptureQueriesContext(connection) as captured:
        pages.get_ok(client, urls[0])
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(35)
    stats.print_stats("webapp|engine|templatetags", 60)
    print(out.getvalue())
    profiler.dump_stats(Path(tempfile.gettempdir()) / f"{key}.prof")
    if sql:
        for query in captured.captured_queries:
            print(query["time"], query["sql"][:400])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--profile", default="", help="a page key: profile it")
    parser.add_argument("--sql", action="store_true", help="with --profile: list its SQL")
    parser.add_argument("--cpu", type=int, default=0,
                        help="N: the CPU per request (median of N) and statements only")
    parser.add_argument("--only", default="", help="page keys, comma-separated (the floor too)")
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "webapp.settings"
    from bench.inbox import start_django

    start_django(f"{args.server}/{args.db}")
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.floor_urls"
    found = specs(args.samples)
    if args.only:
        keep = {"floor", *args.only.split(",")}
        found = {key: spec for key, spec in found.items() if key in keep}
    if args.profile:
        profile(found, args.profile, args.sql)
    elif args.cpu:
        cpu(found, args.cpu)
    else:
        measure(found, args.rounds, args.samples)


if __name__ == "__main__":
    main()
