"""API benchmark at the inbox benchmark's size (100,000 cases, 1,000,000 task rows).

1. p50/p95 server time of the task query (`GET /api/v1/tasks?assignee=me`) and a case's detail
   (`GET /api/v1/cases/<ref>`) through the whole DRF stack with token auth (target p95 ≤ 30 ms).
2. Requests per second under gunicorn with 2 workers, from 4 client threads on loopback, for
   the task query. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inbox import recreate_database, start_django  # noqa: E402

P95_MS = 30.0


def _client_load(url: str, token: str, seconds: float, threads: int) -> tuple[int, int]:
    done, failed = [0], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 - loopback http only
        while time.monotonic() < stop:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    response.read()
                    ok = response.status == 200  # noqa: PLR2004
            except OSError:
                ok = False
            with lock:
                done[0] += ok
                failed[0] += not ok

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return done[0], failed[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="disclosure_bench_api")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    recreate_database(args.server, args.db)
    try:
        start_django(f"{args.server}/{args.db}")
        from django.db import connections
        from rest_framework.test import APIClient

        from bench import caseload
        from bench.pages import time_calls
        from bench.report import write_section
        from webapp.api.auth import token_create
        from webapp.cases.models import HumanTask

        load = caseload.build(args.cases, templates_per_force=100)
        officer = (HumanTask.objects.filter(state="ready", assignee__isnull=False,
                                            role="case_officer")
                   .values_list("assignee", flat=True).first())
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=officer)
        _, token = token_create(user=user, name="bench")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        refs = list(HumanTask.objects.filter(assignee=user).values_list("case__reference",
                                                                        flat=True)[:200])

        def get(url: str) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        query = time_calls(lambda: get("/api/v1/tasks?assignee=me"), args.samples)
        detail = time_calls(lambda: get(f"/api/v1/cases/{random.choice(refs)}"), args.samples)
        connections.close_all()
        env = {**os.environ, "DATABASE_URL": f"{args.server}/{args.db}", "DEBUG": "False",
               "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "webapp.wsgi", "-w", "2",
             "-b", f"127.0.0.1:{args.port}", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(4)
            url = f"http://127.0.0.1:{args.port}/api/v1/tasks?assignee=me"
            _client_load(url, token, 3, 4)  # warm both workers
            ok, failed = _client_load(url, token, args.seconds, 4)
        finally:
            server.terminate()
            server.wait(timeout=30)
        rps = ok / args.seconds
        lines = [
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on PostgreSQL 15 with "
            f"{load.counts.get('cases', args.cases):,} cases loaded as in the inbox benchmark; "
            f"token-authenticated calls as a case officer; {args.samples} calls each.",
            "",
            "| Call | p50 ms | p95 ms | Target |",
            "|---|---|---|---|",
            f"| `GET /api/v1/tasks?assignee=me` (task query) | {query.p50:.1f} | "
            f"{query.p95:.1f} | p95 ≤ {P95_MS:g} ms: "
            f"{'met' if query.p95 <= P95_MS else 'NOT met'} |",
            f"| `GET /api/v1/cases/<ref>` (case detail) | {detail.p50:.1f} | {detail.p95:.1f} | "
            f"p95 ≤ {P95_MS:g} ms: {'met' if detail.p95 <= P95_MS else 'NOT met'} |",
            "",
            f"Under gunicorn with 2 workers, 4 client threads on loopback for {args.seconds:g} s:"
            f" **{rps:.0f} requests/s** on the task query ({failed} failed).",
        ]
        print("\n".join(lines))
        if not args.no_write:
            write_section("api", "API (bench/api.py)", lines)
        connections.close_all()
    finally:
        recreate_database(args.server, args.db, drop_only=True)


if __name__ == "__main__":
    main()
