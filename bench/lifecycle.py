"""Whole CSODS cases through the services on PostgreSQL, against raw SpiffWorkflow in memory.

One lifecycle is what officers do to a case on the disclosure path: `case_start`, then for
each offered task one read of the case's ready tasks, `task_claim` and `task_complete`, to the
end. The raw rate is `bench.engine.raw_case` on the same diagram, measured in the same run;
rounds alternate so that drift hits every path. With two processes the cases are split
between two forked workers, each with its own database connection, timed from a common start.
Requires `django.setup()`.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections

from bench.caseload import form_of, samples
from bench.cpu_time import spent
from bench.engine import CSODS, EXPECTED, LANES, raw_case
from engine import load_folder
from webapp.cases import services
from webapp.cases.models import HumanTask, TaskState


@dataclass(frozen=True)
class Rates:
    """Median cases per second of each path, and every round's figures."""

    raw: float
    one: float
    two: float
    rounds: list[tuple[float, float, float]]

    @property
    def r1(self) -> float:
        return self.one / self.raw

    @property
    def r2(self) -> float:
        return self.two / self.raw


def services_case(users: dict[str, Any], answers: dict[str, Any]) -> int:
    """One case start → end on the disclosure path, as officers would drive it; returns the
    number of service calls (each one durable transaction)."""
    case = services.case_start(user=users["contact_handler"], data=answers["enquiry"])
    calls = 1
    while True:
        task = (HumanTask.objects.filter(case_id=case.pk, state=TaskState.READY)
                .order_by("pk").values_list("pk", "role", "form_file").first())
        if task is None:
            break
        task_id, role, form_file = task
        services.task_claim(user=users[role], task_id=task_id)
        case = services.task_complete(user=users[role], task_id=task_id,
                                      data=answers[form_of(form_file)])
        calls += 2
    assert case.status == "closed" and tuple(case.outcome_codes) == EXPECTED, case.outcome_codes
    return calls


def _serial(users: dict[str, Any], answers: dict[str, Any], cases: int) -> tuple[float, float]:
    began = time.perf_counter()
    for _ in range(cases):
        services_case(users, answers)
    return began, time.perf_counter()


def _worker(users: dict[str, Any], answers: dict[str, Any], cases: int, start: Any,
            out: Any) -> None:
    try:
        connection.ensure_connection()
        start.wait()
        out.put(_serial(users, answers, cases))
    finally:
        connections.close_all()


def parallel(users: dict[str, Any], answers: dict[str, Any], cases: int,
             processes: int = 2) -> float:
    """Cases per second with ``cases`` split over forked processes (common start barrier)."""
    context = multiprocessing.get_context("fork")
    connections.close_all()  # a forked child must not share the parent's socket
    start, out = context.Barrier(processes), context.Queue()
    shares = [cases // processes + (1 if i < cases % processes else 0) for i in range(processes)]
    workers = [context.Process(target=_worker, args=(users, answers, n, start, out))
               for n in shares]
    for worker in workers:
        worker.start()
    spans = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0, f"lifecycle worker failed ({worker.exitcode})"
    # time.perf_counter is CLOCK_MONOTONIC on Linux: comparable across processes.
    return cases / (max(end for _, end in spans) - min(began for began, _ in spans))


def measure(users: dict[str, Any], *, rounds: int, raw_cases: int, service_cases: int) -> Rates:
    """Alternate raw / one process / two processes for ``rounds`` rounds; medians."""
    definition = load_folder(CSODS, lanes=LANES)
    answers = samples()
    raw_case(definition)
    services_case(users, answers)  # warm: definition cache, compiled expressions
    results = []
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(raw_cases):
            raw_case(definition)
        raw = raw_cases / (time.perf_counter() - began)
        began, ended = _serial(users, answers, service_cases)
        one = service_cases / (ended - began)
        two = parallel(users, answers, service_cases)
        results.append((raw, one, two))
    return Rates(raw=statistics.median(r[0] for r in results),
                 one=statistics.median(r[1] for r in results),
                 two=statistics.median(r[2] for r in results), rounds=results)


@dataclass(frozen=True)
class CpuCosts:
    """Median CPU seconds per case: raw SpiffWorkflow, and the services (this process and its
    PostgreSQL backend). Their ratio is what the wall-clock ratio of one process would be if
    nothing waited (no round-trip latency, no fsync, no other work on the machine): an upper
    bound of it that a busy machine does not skew (``bench.cpu_time``)."""

    raw: float
    python: float
    database: float

    @property
    def ratio(self) -> float:
        return self.raw / (self.python + self.database)


def cpu_costs(users: dict[str, Any], *, rounds: int, raw_cases: int,
              service_cases: int) -> CpuCosts:
    """Alternate raw / services for ``rounds`` rounds, timing CPU seconds; medians per case."""
    definition = load_folder(CSODS, lanes=LANES)
    answers = samples()
    raw_case(definition)
    services_case(users, answers)
    raws, ours, database = [], [], []
    for _ in range(rounds):
        raw = spent(lambda: [raw_case(definition) for _ in range(raw_cases)])
        svc = spent(lambda: _serial(users, answers, service_cases), connection)
        if svc.database is None:
            raise SystemExit("The PostgreSQL backend's CPU cannot be read: run on its machine.")
        raws.append(raw.python / raw_cases)
        ours.append(svc.python / service_cases)
        database.append(svc.database / service_cases)
    return CpuCosts(statistics.median(raws), statistics.median(ours), statistics.median(database))
