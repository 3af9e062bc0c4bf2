"""The embedded broker under load: N due timers fired through it, with worker deaths counted.

What `make run` runs, on what it runs on: an SQLite database, the embedded broker (no broker
server), one Celery worker with beat sweeping every second. N CSODS cases are cloned with their
24-hour timer already due; while the worker fires them, P producer processes push M sweep
messages each through the same broker (as the web app and beat enqueue). The worker is watched:
if it exits it is counted as a death and started again (as bin/serve does). Prints one JSON
line: timers fired, duplicates, messages sent, worker deaths, "Unrecoverable error" lines in
its log, seconds.

    .venv/bin/python bench/embedded_broker.py                      # 10,000 timers, embedded
    .venv/bin/python bench/embedded_broker.py --broker filesystem  # kombu's file-system queue

tests/bench/test_embedded_broker.py runs a short version of the same.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BREACH = "bt_initial_overdue"
PRODUCER = """
import sys
from webapp.celery import app
with app.connection_for_write() as connection:
    for _ in range(int(sys.argv[1])):
        app.send_task("cases.sweep_timers", connection=connection)
"""


def _environment(where: Path, broker: str) -> dict[str, str]:
    env = {"DATABASE_URL": f"sqlite:///{where / 'db.sqlite3'}", "TIMER_SWEEP_SECONDS": "1",
           "DJANGO_SETTINGS_MODULE": "webapp.settings", "LOG_LEVEL": "WARNING"}
    if broker == "embedded":
        env["CELERY_BROKER_URL"] = f"embedded+sqlite:///{where / 'broker.sqlite3'}"
    else:
        folders = {name: str(where / name) for name in ("in", "done", "control")}
        for folder in folders.values():
            Path(folder).mkdir(parents=True, exist_ok=True)
        env["CELERY_BROKER_URL"] = "filesystem://"
        env["CELERY_BROKER_TRANSPORT_OPTIONS"] = json.dumps({
            "data_folder_in": folders["in"], "data_folder_out": folders["in"],
            "processed_folder": folders["done"], "control_folder": folders["control"]})
    return env


def _due_cases(n: int) -> list[int]:
    """``n`` open cases whose breach timer fell due a minute ago (cloned from one real case)."""
    import time_machine
    from django.utils import timezone

    from engine import ProcessInstance
    from tests import factories
    from webapp.cases import services
    from webapp.cases.models import Case, CaseTimer, TimerKind
    from webapp.clocks.models import CaseClock, ClockAlert, ClockEvent
    from webapp.processes.registry import definition_for_id

    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    contact = factories.officer("contact", hrt, "contact_handler")
    due = timezone.now() - timedelta(minutes=1)
    with time_machine.travel(due - timedelta(hours=24), tick=False):
        template = services.case_start(user=contact, data=factories.sample("enquiry"))
    instance = ProcessInstance.load(definition_for_id(template.version_id), template.state)
    (timer,) = [t for t in instance.timers() if t.bpmn_id == BREACH]
    clocks = list(CaseClock.objects.filter(case=template))
    made: list[Case] = []
    for start in range(0, n, 1000):
        batch = Case.objects.bulk_create([
            Case(force_id=template.force_id, reference=f"BEN-{i:07d}", status="open",
                 stage=template.stage, version_id=template.version_id, state=template.state,
                 opened_at=template.opened_at, opened_by_id=template.opened_by_id,
                 next_due_at=timer.due_at) for i in range(start, min(n, start + 1000))])
        CaseTimer.objects.bulk_create([
            CaseTimer(case=c, kind=TimerKind.PROCESS, engine_task_id=timer.task_id,
                      bpmn_id=BREACH, name=timer.name, stage=timer.stage or "",
                      due_at=timer.due_at) for c in batch])
        ClockEvent.objects.bulk_create([
            ClockEvent(case=c, clock=k.clock, kind="started", at=k.started_at, limit=k.limit)
            for c in batch for k in clocks])
        CaseClock.objects.bulk_create([
            CaseClock(case=c, force_id=c.force_id, clock=k.clock, label=k.label,
                      limit=k.limit, started_at=k.started_at, due_at=k.due_at,
                      warn_at=k.warn_at, state="running", extensions=[])
            for c in batch for k in clocks])
        ClockAlert.objects.bulk_create([
            ClockAlert(case=c, force_id=c.force_id, clock="initial", kind="warning",
                       at=c.opened_at + timedelta(hours=18)) for c in batch])
        made += batch
    Case.objects.filter(pk=template.pk).update(status="closed", next_due_at=None)
    return [c.pk for c in made]


def _worker(env: dict[str, str], where: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "webapp", "worker", "--beat", "-c", "1",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle",
         f"--schedule={where / 'beat'}"],
        cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
        stdout=(where / "worker.log").open("ab"), stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _fired(ids: list[int]) -> tuple[int, int]:
    """(cases whose breach fired, extra firings beyond one per case)."""
    from django.db.models import Count

    from webapp.cases.models import CaseEvent

    counts = list(CaseEvent.objects.filter(case_id__in=ids, kind="timer", bpmn_id=BREACH)
                  .values("case_id").annotate(n=Count("id")).values_list("n", flat=True))
    return len(counts), sum(n - 1 for n in counts)


def run(*, cases: int, producers: int, messages: int, broker: str, where: Path,
        timeout: float) -> dict[str, object]:
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    env = _environment(where, broker)
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    began = time.monotonic()
    ids = _due_cases(cases)
    setup_seconds = time.monotonic() - began

    began = time.monotonic()
    worker, deaths = _worker(env, where), 0
    senders = [subprocess.Popen([sys.executable, "-c", PRODUCER, str(messages)], cwd=ROOT,
                                env={**os.environ, **env}) for _ in range(producers)]
    fired = duplicates = 0
    try:
        while time.monotonic() - began < timeout:
            if worker.poll() is not None:
                deaths += 1
                _stop(worker)
                worker = _worker(env, where)
            fired, duplicates = _fired(ids)
            if fired >= len(ids) and all(s.poll() is not None for s in senders):
                break
            time.sleep(1)
        seconds = time.monotonic() - began
        time.sleep(2)  # let a duplicate show itself
        fired, duplicates = _fired(ids)
        if worker.poll() is not None:
            deaths += 1
    finally:
        _stop(worker)
        for sender in senders:
            sender.kill()
            sender.wait()
    log = (where / "worker.log").read_text(errors="replace")
    return {"id": "embedded-broker", "broker": broker, "timers": len(ids), "fired": fired,
            "duplicates": duplicates, "missed": len(ids) - fired,
            "messages_sent": producers * messages,
            "producers_failed": sum(1 for s in senders if s.returncode not in (0, None, -9)),
            "worker_deaths": deaths, "unrecoverable_errors": log.count("Unrecoverable error"),
            "seconds": round(seconds, 1), "timers_per_second": round(fired / seconds, 1),
            "setup_seconds": round(setup_seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--messages", type=int, default=2_500, help="sweep messages each")
    parser.add_argument("--broker", choices=["embedded", "filesystem"], default="embedded")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "bench-embedded-broker")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--doc", action=argparse.BooleanOptionalAction, default=True,
                        help="write the figures into docs/benchmarks.md")
    args = parser.parse_args()
    figures = run(cases=args.cases, producers=args.producers, messages=args.messages,
                  broker=args.broker, where=args.dir, timeout=args.timeout)
    if args.doc:
        _write_doc(figures)
    print(json.dumps(figures), flush=True)


def _write_doc(figures: dict[str, object]) -> None:
    from datetime import UTC, datetime

    from bench.report import write_section

    met = "met" if (figures["missed"], figures["duplicates"], figures["worker_deaths"],
                    figures["unrecoverable_errors"]) == (0, 0, 0, 0) else "NOT met"
    queue = {"embedded": "the embedded SQLite queue (the default)",
             "filesystem": "kombu's file-system queue (the earlier default)"}[str(
                 figures["broker"])]
    write_section(f"embedded-broker-{figures['broker']}",
                  f"Broker without a server: due timers through {queue} "
                  "(bench/embedded_broker.py)", [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: SQLite database, one Celery worker "
        "with beat sweeping every second, as `make run` starts them; meanwhile "
        f"{figures['messages_sent']:,} sweep messages pushed by concurrent producers.", "",
        "| Figure | Value | Target |", "|---|---|---|",
        f"| Timers fired | **{figures['fired']:,}** of {figures['timers']:,} "
        f"({figures['duplicates']} duplicates) | all, once: {met} |",
        f"| Worker deaths | **{figures['worker_deaths']}** "
        f"({figures['unrecoverable_errors']} \"Unrecoverable error\" in its log) | 0: {met} |",
        f"| Time | {figures['seconds']} s ({figures['timers_per_second']} timers/s) | — |",
    ])


if __name__ == "__main__":
    main()
