"""Timer benchmark on PostgreSQL and Redis with real Celery workers and beat.

1. Burst: N CSODS cases whose 24-hour timer is due at once; two worker processes sweep; report
   timers fired per second (target ≥ 200/s).
2. Steady: timers falling due at a steady R per second for S seconds; two workers with beat
   sweeping every second; report lateness (due → fired) p50/p95/max (targets ≤ 2 s / ≤ 5 s).

Cases are cloned from one real case: the clone's engine state has its timer moved to the
wanted due time (so the engine, not just a row, decides what is due). Figures go to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "disclosure_bench_timers"
os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

import django  # noqa: E402
import psycopg  # noqa: E402

BREACH = "bt_initial_overdue"


def _recreate_database() -> None:
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{DB}"')


def _template_case():  # noqa: ANN202 - returns (case, instance) after django.setup()
    import json

    from engine import ProcessInstance
    from tests import factories
    from webapp.cases import services
    from webapp.processes.registry import definition_for

    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    contact = factories.officer("contact", hrt, "contact_handler")
    enquiry = json.loads((factories.CSODS / "forms/samples/enquiry.json").read_text())
    case = services.case_start(user=contact, data=enquiry)
    return case, ProcessInstance.load(definition_for(case.version), case.state)


def _clone(case, instance, dues: list[datetime]) -> None:  # noqa: ANN001
    """Insert copies of ``case`` whose breach timer is due at each of ``dues``.

    Each copy has its clocks (started 24 hours before its due time, warning already given) so
    that firing it does what firing a real case does, no more.
    """
    from webapp.cases.models import Case, CaseTimer, TimerKind
    from webapp.clocks.models import CaseClock, ClockAlert, ClockEvent

    (timer,) = [t for t in instance.timers() if t.bpmn_id == BREACH]
    clocks = list(CaseClock.objects.filter(case=case))
    batch: list[Case] = []
    for i, due in enumerate(dues):
        instance.set_timer_due(BREACH, due)
        batch.append(Case(force_id=case.force_id, reference=f"BEN-{i:07d}", status="open",
                          stage=case.stage, version_id=case.version_id, state=instance.dump(),
                          opened_at=due - timedelta(hours=24), opened_by_id=case.opened_by_id,
                          next_due_at=due))
        if len(batch) == 1000 or i == len(dues) - 1:
            made = Case.objects.bulk_create(batch)
            CaseTimer.objects.bulk_create([
                CaseTimer(case=c, kind=TimerKind.PROCESS, engine_task_id=timer.task_id,
                          bpmn_id=BREACH, name=timer.name, stage=timer.stage or "",
                          due_at=c.next_due_at) for c in made])
            shift = [(c, c.opened_at - case.opened_at) for c in made]
            ClockEvent.objects.bulk_create([
                ClockEvent(case=c, clock=k.clock, kind="started", at=k.started_at + d,
                           limit=k.limit) for c, d in shift for k in clocks])
            CaseClock.objects.bulk_create([
                CaseClock(case=c, force_id=c.force_id, clock=k.clock, label=k.label,
                          limit=k.limit, started_at=k.started_at + d, due_at=k.due_at + d,
                          warn_at=k.warn_at + d, state="running", extensions=[])
                for c, d in shift for k in clocks])
            ClockAlert.objects.bulk_create([
                ClockAlert(case=c, force_id=c.force_id, clock="initial", kind="warning",
                           at=c.opened_at + timedelta(hours=18)) for c in made])
            batch = []


def _workers(beat: bool) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "TIMER_SWEEP_SECONDS": "1"}
    (ROOT / "var").mkdir(exist_ok=True)  # beat's schedule file (a fresh clone has no var/)
    procs = []
    for i in range(2):
        args = [sys.executable, "-m", "celery", "-A", "webapp", "worker", "-c", "1", "-n",
                f"bench{i}@%h", "--loglevel=WARNING", "--without-gossip", "--without-mingle"]
        if beat and i == 0:
            args += ["--beat", "--schedule", str(ROOT / "var" / "bench-beat")]
        procs.append(subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _fired() -> int:
    from webapp.cases.models import CaseEvent

    return CaseEvent.objects.filter(kind="timer", bpmn_id=BREACH,
                                    case__reference__startswith="BEN-").count()


def burst(n: int) -> tuple[float, int, int]:
    from webapp.cases.models import Case
    from webapp.celery import app

    case, instance = _template_case()
    _clone(case, instance, [datetime.now(UTC) - timedelta(seconds=1)] * n)
    procs = _workers(beat=False)
    time.sleep(3)  # workers up
    began = time.monotonic()
    for _ in range(4):
        app.send_task("cases.sweep_timers")
    deadline = began + 600
    while _fired() < n and time.monotonic() < deadline:
        if not Case.objects.filter(reference__startswith="BEN-", next_due_at__lte=datetime.now(
                UTC)).exists():
            break
        app.send_task("cases.sweep_timers")
        time.sleep(1)
    elapsed = time.monotonic() - began
    _stop(procs)
    fired = _fired()
    duplicates = fired - Case.objects.filter(reference__startswith="BEN-",
                                             events__kind="timer").distinct().count()
    return fired / elapsed, fired, duplicates


def steady(rate: float, seconds: int) -> list[float]:
    from webapp.cases.models import CaseEvent

    case, instance = _template_case()
    start = datetime.now(UTC) + timedelta(seconds=15)
    dues = [start + timedelta(seconds=i / rate) for i in range(int(rate * seconds))]
    _clone(case, instance, dues)
    procs = _workers(beat=True)
    while datetime.now(UTC) < dues[-1] + timedelta(seconds=10):
        time.sleep(2)
    _stop(procs)
    late = []
    for event_at, due in CaseEvent.objects.filter(
            kind="timer", bpmn_id=BREACH, case__reference__startswith="BEN-").values_list(
            "at", "case__opened_at"):
        late.append((event_at - (due + timedelta(hours=24))).total_seconds())
    return late


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    _recreate_database()
    django.setup()
    from django.core.management import call_command

    from bench.report import write_section

    call_command("migrate", verbosity=0)
    per_second, fired, duplicates = burst(args.burst)
    from django.db import connections

    connections.close_all()
    _recreate_database()
    call_command("migrate", verbosity=0)
    late = sorted(steady(args.rate, args.seconds))
    expected = int(args.rate * args.seconds)
    p50 = statistics.median(late) if late else float("nan")
    p95 = late[int(0.95 * (len(late) - 1))] if late else float("nan")
    worst = max(late) if late else float("nan")
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: PostgreSQL 15, Redis broker, two "
        "Celery worker processes (one also running beat, sweeping every second).",
        "",
        "| Run | Figure | Target |",
        "|---|---|---|",
        f"| Burst: {args.burst:,} timers due at once | **{per_second:.0f} fired/s** "
        f"({fired:,} fired, {duplicates} duplicates) | ≥ 200/s: "
        f"{'met' if per_second >= 200 else 'NOT met'} |",
        f"| Steady: {args.rate:g} timers/s for {args.seconds} s | lateness p50 {p50:.2f} s, "
        f"p95 **{p95:.2f} s**, max **{worst:.2f} s** ({len(late):,} of {expected:,} fired) | "
        f"p95 ≤ 2 s, max ≤ 5 s: {'met' if p95 <= 2 and worst <= 5 else 'NOT met'} |",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("timers", "Timers: burst and steady lateness (bench/timers.py)", lines)
    connections.close_all()
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
