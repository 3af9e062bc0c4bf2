"""Real Celery workers on PostgreSQL and a real broker: timers fire exactly once (C3).

Runs where PostgreSQL and a broker are reachable (CI: PostgreSQL and Redis). Cases are created
back-dated so that their 24-hour timers are due now; worker processes then sweep in real time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from tests import factories
from webapp.cases import services
from webapp.cases.models import Case, CaseEvent, HumanTask

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_BROKER_URL", "")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    if not parsed.hostname or parsed.scheme not in {"redis", "amqp", "pyamqp"}:
        return False
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.skipif(not _reachable(BROKER), reason="needs CELERY_BROKER_URL (Redis/RabbitMQ)"),
]
BREACH = "bt_initial_overdue"


def _db_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker(name: str, **env: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "DATABASE_URL": _db_url(), "CELERY_BROKER_URL": BROKER,
                   "TIMER_SWEEP_SECONDS": "1", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "webapp", "worker", "-c", "1", "-n",
         f"{name}@%h", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
         "--prefetch-multiplier=1"],
        cwd=ROOT, env=environment, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(worker: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(worker.pid, sig)
    except ProcessLookupError:
        return
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def _purge_and_sweep(times: int) -> None:
    from webapp.celery import app

    for _ in range(times):
        app.send_task("cases.sweep_timers")


def _cases_due(n: int) -> list[Case]:
    hrt = factories.force(process=factories.version("csods", factories.CSODS))
    contact = factories.officer("contact", hrt, "contact_handler")
    enquiry = factories.sample("enquiry")
    with time_machine.travel(timezone.now() - timedelta(hours=24, minutes=5), tick=False):
        return [services.case_start(user=contact, data=enquiry) for _ in range(n)]


def _wait_until_fired(cases: list[Case], timeout: float) -> None:
    ids = [c.pk for c in cases]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fired = CaseEvent.objects.filter(case_id__in=ids, kind="timer", bpmn_id=BREACH).count()
        if fired >= len(ids):
            time.sleep(2)  # let any duplicate show itself
            return
        time.sleep(0.5)


def test_500_due_timers_two_sweepers_two_workers_fire_exactly_once():
    cases = _cases_due(500)
    workers = [_worker("w1"), _worker("w2")]
    try:
        began = time.monotonic()
        _purge_and_sweep(4)  # concurrent sweeps, as from two beat schedulers
        _wait_until_fired(cases, timeout=240)
        elapsed = time.monotonic() - began
    finally:
        for worker in workers:
            _stop(worker)
    ids = [c.pk for c in cases]
    fired = CaseEvent.objects.filter(case_id__in=ids, kind="timer", bpmn_id=BREACH)
    per_case = {}
    for case_id in fired.values_list("case_id", flat=True):
        per_case[case_id] = per_case.get(case_id, 0) + 1
    duplicates = sum(n - 1 for n in per_case.values() if n > 1)
    missed = len(ids) - len(per_case)
    print(f'{{"id": "R07", "timers": {len(ids)}, "fired": {len(per_case)}, '
          f'"dup": {duplicates}, "missed": {missed}, "seconds": {elapsed:.1f}}}')
    assert (duplicates, missed) == (0, 0)
    reviews = HumanTask.objects.filter(case_id__in=ids, bpmn_id="ut_review_initial_breach")
    assert reviews.count() == len(ids)


def test_a_worker_killed_mid_fire_loses_nothing_and_the_timer_fires_once_later():
    (case,) = _cases_due(1)
    slow = _worker("slow", TIMER_FIRE_TEST_DELAY="20")
    try:
        _purge_and_sweep(1)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _case_row_locked(case.pk):
            time.sleep(0.2)
        assert _case_row_locked(case.pk), "the worker never claimed the case"
        _stop(slow, signal.SIGKILL)  # mid-fire: the transaction dies with the connection
    finally:
        _stop(slow, signal.SIGKILL)
    assert CaseEvent.objects.filter(case=case, kind="timer").count() == 0
    healthy = _worker("healthy")
    try:
        _purge_and_sweep(2)
        _wait_until_fired([case], timeout=60)
    finally:
        _stop(healthy)
    assert CaseEvent.objects.filter(case=case, kind="timer", bpmn_id=BREACH).count() == 1


def _case_row_locked(case_id: int) -> bool:
    """True while another session holds the case row (FOR UPDATE) — seen via SKIP LOCKED."""
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("SELECT id FROM cases_case WHERE id = %s FOR UPDATE SKIP LOCKED",
                       [case_id])
        free = cursor.fetchone() is not None
        cursor.execute("ROLLBACK")
    return not free
