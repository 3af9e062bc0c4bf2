"""Two officers completing the same task at once: exactly one wins (C2), on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests import factories
from webapp.cases import services
from webapp.cases.models import CaseEvent, HumanTask, TaskState
from webapp.errors import ServiceError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks need PostgreSQL (CI runs this on it)"),
]

ENTER = {"concern": "worried", "children": [{"name": "Amy", "age": 7}, {"name": "Bo", "age": 8}]}
THREADS = 8


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except ServiceError as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_completions_of_one_task_exactly_one_succeeds():
    hrt = factories.force()
    officer = factories.officer("officer", hrt, "case_officer")
    dms = [factories.officer(f"dm{i}", hrt, "decision_maker") for i in range(THREADS)]
    case = services.case_start(user=officer, data=ENTER)
    task = case.tasks.get(state=TaskState.READY)
    results = _race([
        (lambda dm=dm, i=i: services.task_complete(user=dm, task_id=task.pk,
                                                   data={"approved": i % 2 == 0}))
        for i, dm in enumerate(dms)
    ])
    wins = [r for r in results if not isinstance(r, ServiceError)]
    conflicts = [r for r in results if isinstance(r, ServiceError)]
    assert len(wins) == 1
    assert len(conflicts) == THREADS - 1
    assert all(c.http_status == 409 and "already completed" in c.message for c in conflicts)
    assert CaseEvent.objects.filter(case=case, kind="completed").count() == 1
    task.refresh_from_db()
    case.refresh_from_db()
    assert task.state == TaskState.COMPLETED
    assert case.status == "closed" and len(case.outcome_codes) == 1
    assert HumanTask.objects.filter(case=case).count() == 1


def test_concurrent_claims_give_one_owner():
    hrt = factories.force()
    officer = factories.officer("officer", hrt, "case_officer")
    dms = [factories.officer(f"dm{i}", hrt, "decision_maker") for i in range(THREADS)]
    case = services.case_start(user=officer, data=ENTER)
    task = case.tasks.get(state=TaskState.READY)
    results = _race([(lambda dm=dm: services.task_claim(user=dm, task_id=task.pk))
                     for dm in dms])
    assert sum(not isinstance(r, ServiceError) for r in results) == 1
    assert CaseEvent.objects.filter(case=case, kind="claimed").count() == 1


def test_concurrent_audited_writes_keep_one_unbroken_chain():
    """Every audited step appends to one hash chain: writers racing from many connections must
    each chain onto the row before them (no fork, no gap), or verification fails."""
    from django.db import transaction

    from webapp.audit.log import record, verify
    from webapp.audit.models import AccessLog

    def writer(n: int):
        def run() -> int:
            for i in range(15):
                with transaction.atomic():
                    record(actor=None, operation="consult", object_type="case",
                           object_id=f"T{n}-{i}", justification="race test")
            return n
        return run

    results = _race([writer(n) for n in range(THREADS)])
    assert results == list(range(THREADS))
    assert verify() == (AccessLog.objects.count(), None)
    assert AccessLog.objects.filter(justification="race test").count() == THREADS * 15
