"""Scale-out: whole case lifecycles through the REST API, two web and two worker processes
against one PostgreSQL, divided by one web and one worker process.

A lifecycle is what a client of the API does to take a case on the disclosure path from start to
end: `POST /api/v1/enquiries` as the contact handler, then, until no task is left, the case's
ready tasks (`GET /api/v1/tasks?caseReference=…` as the decision maker, who supervises the
unit), `POST …/claim` and `POST …/complete` as the officer whose role the task asks for.
Topologies as bin/topology starts them (the Procfile's commands): each web process is a
gunicorn master with one synchronous worker (`deploy/gunicorn.conf.py`, `WEB_CONCURRENCY=1`,
its own loopback port), each worker a Celery worker with concurrency 1 (they send the e-mail
notices the steps queue; e-mail goes to Django's in-memory backend), and one beat (the timer
sweep) in both. No nginx: client processes are spread over the web ports. The same number
of client processes (`--clients`, forked) drive both topologies for `--seconds`; rounds
alternate one / two; medians. Figures go to docs/benchmarks.md between the scale-out markers.

    .venv/bin/python bench/scale_out.py [--rounds 3] [--seconds 30] [--clients 4] [--no-write]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine import TASK_FORMS  # noqa: E402
from bench.inbox import recreate_database, start_django  # noqa: E402

BIN = Path(sys.executable).parent
TITLE = "Scale-out: lifecycles through the API, 2 web + 2 workers ÷ 1 + 1 (bench/scale_out.py)"


def _request(conn: http.client.HTTPConnection, method: str, path: str, token: str,
             body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
    return json.loads(payload)


def api_case(port: int, tokens: dict[str, str], answers: dict[str, Any]) -> int:
    """One case start → end through the API; returns the number of requests."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        case = _request(conn, "POST", "/api/v1/enquiries", tokens["contact_handler"],
                        {"data": answers["enquiry"]})
        reference, requests = case["reference"], 1
        while True:
            page = _request(conn, "GET", f"/api/v1/tasks?caseReference={reference}",
                            tokens["decision_maker"])
            requests += 1
            if not page["results"]:
                break
            task = min(page["results"], key=lambda t: t["id"])
            token = tokens[task["role"]]
            _request(conn, "POST", f"/api/v1/tasks/{task['id']}/claim", token)
            case = _request(conn, "POST", f"/api/v1/tasks/{task['id']}/complete", token,
                            {"data": answers[TASK_FORMS[task["bpmn_id"]]]})
            requests += 2
        assert case["status"] == "closed", case["status"]
        return requests
    finally:
        conn.close()


def _client(port: int, tokens: dict[str, str], answers: dict[str, Any], *, start: Any,
            until: float, out: Any) -> None:
    start.wait()
    cases = requests = 0
    began = time.perf_counter()
    while time.perf_counter() < until:
        requests += api_case(port, tokens, answers)
        cases += 1
    out.put((cases, requests, began, time.perf_counter()))


def drive(ports: list[int], tokens: dict[str, str], answers: dict[str, Any], *,
          clients: int, seconds: float) -> tuple[float, float]:
    """Cases and requests per second of ``clients`` forked clients spread over ``ports``."""
    context = multiprocessing.get_context("fork")
    start, out = context.Barrier(clients + 1), context.Queue()
    until = time.perf_counter() + seconds + 0.5
    procs = [context.Process(target=_client, args=(ports[i % len(ports)], tokens, answers),
                             kwargs={"start": start, "until": until, "out": out})
             for i in range(clients)]
    for proc in procs:
        proc.start()
    start.wait()
    results = [out.get(timeout=seconds + 300) for _ in procs]
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0, f"client failed ({proc.exitcode})"
    span = max(r[3] for r in results) - min(r[2] for r in results)
    return sum(r[0] for r in results) / span, sum(r[1] for r in results) / span


class Topology:
    """``web`` gunicorn masters (one worker each), ``workers`` Celery workers, one beat."""

    def __init__(self, env: dict[str, str], port: int, web: int, workers: int, logs: Path):
        self.ports = [port + i for i in range(web)]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs = logs
        for i, p in enumerate(self.ports):
            self._start(f"web{i}", [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py",
                                    "--bind", f"127.0.0.1:{p}"], env)
        for i in range(workers):
            self._start(f"worker{i}", [str(BIN / "celery"), "-A", "webapp", "worker",
                                       "--loglevel=WARNING", "--concurrency=1",
                                       "-n", f"bench{i}@%h", "--without-gossip",
                                       "--without-mingle"], env)
        self._start("beat", [str(BIN / "celery"), "-A", "webapp", "beat", "--loglevel=WARNING",
                             f"--schedule={logs / 'celerybeat-schedule'}"], env)
        self._wait_ready()

    def _start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.procs.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log,  # noqa: S603
                                           stderr=subprocess.STDOUT, start_new_session=True))

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        for port in self.ports:
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", "/healthz")
                    conn.getresponse().read()
                    conn.close()
                    break
                except OSError as exc:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"web on {port} did not start; see {self.logs}") from exc
                    time.sleep(0.3)
        time.sleep(2)  # the Celery workers connect to the broker

    def stop(self) -> None:
        for proc in self.procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def report(runs: list[tuple[str, float, float, float]], args: argparse.Namespace,
           load: tuple[str, str], requests_per_case: float) -> list[str]:
    one = statistics.median(c for t, c, _, _ in runs if t == "1+1")
    two = statistics.median(c for t, c, _, _ in runs if t == "2+2")
    rps = {t: statistics.median(r for tt, _, r, _ in runs if tt == t) for t in ("1+1", "2+2")}
    return [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, shared), PostgreSQL and Redis on the same machine; load "
        f"average (1 min) {load[0]} before, {load[1]} after. {args.clients} client processes "
        f"on the same machine, {args.seconds:g} s per run, {args.rounds} alternating rounds, "
        f"medians. A lifecycle is {requests_per_case:.0f} API requests.",
        "",
        "| Topology | lifecycles/s | requests/s | ratio |",
        "|---|---|---|---|",
        f"| 1 web + 1 worker | {one:.2f} | {rps['1+1']:.0f} | 1.00 |",
        f"| 2 web + 2 workers | {two:.2f} | {rps['2+2']:.0f} | {two / one:.2f} |",
        "",
        "Runs (topology: lifecycles/s, load average at the end): " + ", ".join(
            f"{t}: {c:.2f} ({la:.2f})" for t, c, _, la in runs),
        "",
        f"The ratio is bounded by the machine's {os.cpu_count()} cores, which the web "
        "processes, PostgreSQL, the workers and the clients share: with one core's worth of "
        "web work and another of database and client work the ceiling is well under 2. On a "
        "shared machine the other way too: with other work running, twice the processes also "
        "take a larger share of the cores from it, which flatters the ratio.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="bench_scale_out")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=8961)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    recreate_database(args.server, args.db)
    logs = Path(tempfile.mkdtemp(prefix="scale_out_"))
    try:
        start_django(f"{args.server}/{args.db}")
        from django.db import connections

        from bench import caseload
        from bench.report import write_section
        from webapp.api.auth import token_create

        staff = caseload.setup().staff["HRT"]
        tokens = {role: token_create(user=user, name="bench")[1] for role, user in staff.items()}
        answers = caseload.samples()
        connections.close_all()
        env = {**os.environ, "DATABASE_URL": f"{args.server}/{args.db}", "DEBUG": "False",
               "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1,localhost",
               "CELERY_BROKER_URL": args.broker, "WEB_CONCURRENCY": "1",
               "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        load_before = f"{os.getloadavg()[0]:.2f}"
        runs, per_case = [], []
        for _ in range(args.rounds):
            for name, web, workers in (("1+1", 1, 1), ("2+2", 2, 2)):
                topology = Topology(env, args.port, web, workers, logs)
                try:
                    per_case.append(api_case(topology.ports[0], tokens, answers))  # warm
                    cases, rps = drive(topology.ports, tokens, answers, clients=args.clients,
                                       seconds=args.seconds)
                finally:
                    topology.stop()
                runs.append((name, cases, rps, os.getloadavg()[0]))
                print(f"{name}: {cases:.2f} lifecycles/s, {rps:.0f} requests/s", flush=True)
        lines = report(runs, args, (load_before, f"{os.getloadavg()[0]:.2f}"),
                       statistics.median(per_case))
        print("\n".join(lines))
        if not args.no_write:
            write_section("scale-out", TITLE, lines)
    finally:
        shutil.rmtree(logs, ignore_errors=True)
        recreate_database(args.server, args.db, drop_only=True)


if __name__ == "__main__":
    main()
