"""The lifecycle benchmark on its own: a small database of its own (one force's staff, no
100,000-case load), for iterating on the cost of a case step. Prints the SQL statements, round
trips, durable commits, workflow loads and saves of one lifecycle, then the rates of
bench/lifecycle.py (raw SpiffWorkflow, services in one and two processes, alternating rounds,
medians), or a profile.

    .venv/bin/python bench/lifecycle_run.py [--rounds N] [--cases N] [--profile] [--cpu]
    .venv/bin/python bench/lifecycle_run.py --counts   # the counts only (deterministic)
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inbox import recreate_database, start_django  # noqa: E402


@dataclass
class Counts:
    """One lifecycle's SQL statements (BEGIN and COMMIT included, as Django counts them), the
    waits for the server's answer among them (round trips: a statement sent in a pipeline
    with others is waited for once with them), durable commits, workflow loads and saves."""

    statements: int
    round_trips: int
    commits: int
    loads: int
    saves: int


def count_sql(users: dict[str, Any], answers: dict[str, Any]) -> Counts:
    """Count one lifecycle (see ``Counts``)."""
    from unittest import mock

    from django.db import connection
    from django.db.backends import utils
    from django.test.utils import CaptureQueriesContext
    from psycopg._pipeline_base import BasePipeline

    from bench.lifecycle import services_case
    from engine import ProcessInstance

    alone: list[bool] = []  # per statement: sent on its own (not in a pipeline)
    pipeline_trips = [0, False]  # waits in pipelines; something sent since the last wait
    execute, fetch_gen, exit_gen = (utils.CursorWrapper.execute, BasePipeline._fetch_gen,
                                    BasePipeline._exit_gen)

    def noting_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        alone.append(connection.connection._pipeline is None)
        pipeline_trips[1] = pipeline_trips[1] or not alone[-1]
        return execute(self, *args, **kwargs)

    def noting_fetch_gen(self: Any, *, flush: bool) -> Any:
        if flush and self.result_queue and pipeline_trips[1]:  # a read waits for all sent
            pipeline_trips[0] += 1
            pipeline_trips[1] = False
        return fetch_gen(self, flush=flush)

    def noting_exit_gen(self: Any) -> Any:
        pipeline_trips[0] += 1  # the closing Sync, and the answers not read yet
        pipeline_trips[1] = False
        return exit_gen(self)

    with (mock.patch.object(ProcessInstance, "load", wraps=ProcessInstance.load) as loads,
          mock.patch.object(ProcessInstance, "dump", autospec=True,
                            side_effect=ProcessInstance.dump) as dumps,
          mock.patch.object(utils.CursorWrapper, "execute", noting_execute),
          mock.patch.object(BasePipeline, "_fetch_gen", noting_fetch_gen),
          mock.patch.object(BasePipeline, "_exit_gen", noting_exit_gen),
          CaptureQueriesContext(connection) as queries):
        services_case(users, answers)
    sql = [q["sql"] for q in queries.captured_queries]
    commits = sql.count("COMMIT")
    # BEGIN is sent with the transaction's first statement: a round trip of its own unless
    # that statement went in a pipeline
    statements = iter(alone)
    trips = commits + pipeline_trips[0]
    begin_pending = False
    for text in sql:
        if text == "BEGIN":
            begin_pending = True
        elif text not in ("COMMIT", "ROLLBACK"):
            sent_alone = next(statements, True)
            trips += (1 + begin_pending) if sent_alone else 0
            begin_pending = False
    return Counts(len(sql), trips, commits, loads.call_count, dumps.call_count)


def commit_latency(commits: int = 200) -> float:
    """Median ms of one durable commit of a one-row INSERT on this server: the disk's flush,
    which every service call pays once and raw SpiffWorkflow (in memory) never does."""
    import statistics
    import time

    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit (v int)")
    times = []
    for i in range(commits):
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_commit VALUES (%s)", [i])
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def profile(users: dict[str, Any], answers: dict[str, Any], cases: int) -> None:
    import cProfile
    import pstats

    from bench.lifecycle import services_case

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(cases):
        services_case(users, answers)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(40)


def python_calls(users: dict[str, Any], answers: dict[str, Any], cases: int = 5) -> float:
    """Python function calls per lifecycle, as cProfile counts them: a measure of the work
    that load on the machine does not change."""
    import cProfile
    import pstats

    from bench.lifecycle import services_case

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(cases):
        services_case(users, answers)
    profiler.disable()
    return pstats.Stats(profiler).total_calls / cases  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", type=int, default=30, help="service cases per round")
    parser.add_argument("--profile", action="store_true", help="profile --cases lifecycles")
    parser.add_argument("--counts", action="store_true",
                        help="only the counts, and Python calls per lifecycle (cProfile's count)")
    parser.add_argument("--cpu", action="store_true",
                        help="also the CPU cost ratio (this process + its PostgreSQL backend)")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="bench_lifecycle")
    args = parser.parse_args()
    recreate_database(args.server, args.db)
    try:
        start_django(f"{args.server}/{args.db}")
        from django.db import connections

        from bench import caseload, lifecycle

        users = caseload.setup().staff["HRT"]
        answers = caseload.samples()
        lifecycle.services_case(users, answers)
        counts = count_sql(users, answers)
        print(f"per lifecycle: {counts.statements} SQL statements, {counts.round_trips} round "
              f"trips, {counts.commits} durable commits, {counts.loads} workflow loads, "
              f"{counts.saves} saves")
        if args.counts:
            print(f"Python function calls per lifecycle: {python_calls(users, answers):,.0f}")
            connections.close_all()
            return
        if args.profile:
            profile(users, answers, args.cases)
            connections.close_all()
            return
        before = os.getloadavg()
        rates = lifecycle.measure(users, rounds=args.rounds, raw_cases=3 * args.cases,
                                  service_cases=args.cases)
        print(f"load average {before[0]:.2f} → {os.getloadavg()[0]:.2f}")
        print(f"raw {rates.raw:.1f}/s  one {rates.one:.2f}/s ({rates.r1:.3f})  "
              f"two {rates.two:.2f}/s ({rates.r2:.3f})")
        for raw, one, two in rates.rounds:
            print(f"  round raw / one / two: {raw:.1f} / {one:.2f} / {two:.2f}")
        commit_ms = commit_latency()
        wall_ms = 1000 / rates.one
        flushes = counts.commits * commit_ms
        without = 1000 / rates.raw / (wall_ms - flushes)
        print(f"durable commit of one row: {commit_ms:.2f} ms (median of 200); a lifecycle's "
              f"{counts.commits} commits ≈ {flushes:.0f} ms of its {wall_ms:.0f} ms; the "
              f"one-process ratio without them would be {without:.3f}")
        if args.cpu:
            costs = lifecycle.cpu_costs(users, rounds=args.rounds, raw_cases=3 * args.cases,
                                        service_cases=args.cases)
            print(f"CPU ms per case: raw {costs.raw * 1000:.1f}; services "
                  f"{costs.python * 1000:.1f} here + {costs.database * 1000:.1f} in PostgreSQL; "
                  f"ratio {costs.ratio:.3f} (load average now {os.getloadavg()[0]:.2f})")
        connections.close_all()
    finally:
        recreate_database(args.server, args.db, drop_only=True)  # WITH (FORCE)


if __name__ == "__main__":
    main()
